package qupath.ext.muse;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * How MUSE recognises the objects it created, so that a new run replaces only those and never a
 * user's or another tool's objects (cells, tiles, other detectors' results, points the user
 * clicked or edited). Plain values only, so the rules are unit-tested without QuPath.
 *
 * <ul>
 *   <li>Detections carry the name {@code "MUSE <model>"}; an earlier run's detections are
 *       replaced only if they carry such a name.</li>
 *   <li>Pseudo-labels are Points annotations named {@value #PSEUDO_LABEL_NAME} with a
 *       fingerprint of their class and points as a measurement; they are replaced only while
 *       the fingerprint still matches, i.e. while the user has not edited them (an edited
 *       pseudo-label has become the user's label).</li>
 * </ul>
 */
public final class MuseMarks {
    private MuseMarks() { }

    /** Prefix of every MUSE detection's name. */
    public static final String DETECTION_PREFIX = "MUSE";
    /** Name of every pseudo-label Points annotation. */
    public static final String PSEUDO_LABEL_NAME = "MUSE pseudo-label";
    /** Measurement holding a pseudo-label's fingerprint. */
    public static final String FINGERPRINT_MEASUREMENT = "MUSE pseudo-label fingerprint";

    /** The name given to the detections of `model` (a file name or path; its stem is kept). */
    public static String detectionName(String model) {
        String stem = model == null ? "" : model.replace('\\', '/');
        stem = stem.substring(stem.lastIndexOf('/') + 1);
        if (stem.toLowerCase(Locale.ROOT).endsWith(".muse")) stem = stem.substring(0, stem.length() - 5);
        stem = stem.replaceAll("^[ \t]+|[ \t]+$", "");  // as the engine's muse::detection_object_name
        return stem.isEmpty() ? DETECTION_PREFIX : DETECTION_PREFIX + " " + stem;
    }

    /** True for a detection name MUSE gave ("MUSE" or "MUSE <model>"). */
    public static boolean isMuseDetectionName(String name) {
        return name != null && (name.equals(DETECTION_PREFIX) || name.startsWith(DETECTION_PREFIX + " "))
                && !name.equals(PSEUDO_LABEL_NAME);
    }

    /**
     * A fingerprint of a Points annotation's class and points (order ignored). QuPath keeps
     * point coordinates and measurements as 32-bit floats in project files, so the points are
     * hashed as floats (create the ROI from {@link #asStored} coordinates) and the fingerprint is a
     * 24-bit integer, exact in a float: it survives saving and reopening the project.
     */
    public static double fingerprint(String className, double[] xy) {
        if (xy.length % 2 != 0) throw new IllegalArgumentException("points are x, y pairs, got " + xy.length + " numbers");
        long sum = 0, mix = 0;
        for (int i = 0; i < xy.length; i += 2) {
            long p = mix64(((long) Float.floatToIntBits((float) xy[i]) << 32) ^ (Float.floatToIntBits((float) xy[i + 1]) & 0xFFFFFFFFL));
            sum += p;                 // order-independent
            mix ^= Long.rotateLeft(p, 17);
        }
        long h = mix64(sum ^ mix64(mix) ^ mix64(xy.length) ^ (className == null ? 0 : className.hashCode()));
        return (double) (h >>> 40);  // 24 bits
    }

    /** Coordinates as QuPath stores them (32-bit floats), so that a fingerprint made now matches after a reload. */
    public static double[] asStored(double[] xy) {
        double[] out = new double[xy.length];
        for (int i = 0; i < xy.length; i++) out[i] = (float) xy[i];
        return out;
    }

    /** True if a pseudo-label annotation (by name) still has the fingerprint MUSE gave it. */
    public static boolean isUneditedPseudoLabel(String name, String className, double[] xy, double storedFingerprint) {
        return PSEUDO_LABEL_NAME.equals(name) && !Double.isNaN(storedFingerprint) && storedFingerprint == fingerprint(className, xy);
    }

    /** An axis-aligned box in level-0 pixels. */
    public record Box(double minX, double minY, double maxX, double maxY) {
        public boolean contains(double x, double y) {
            return x >= minX && x <= maxX && y >= minY && y <= maxY;
        }

        public Box grownBy(double d) {
            return new Box(minX - d, minY - d, maxX + d, maxY + d);
        }

        /** The bounds of x, y pairs. */
        public static Box of(double[] xy) {
            double x0 = Double.POSITIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
            for (int i = 0; i + 1 < xy.length; i += 2) {
                x0 = Math.min(x0, xy[i]);
                y0 = Math.min(y0, xy[i + 1]);
                x1 = Math.max(x1, xy[i]);
                y1 = Math.max(y1, xy[i + 1]);
            }
            return new Box(x0, y0, x1, y1);
        }
    }

    /**
     * Index of the first zone holding the point, else of the nearest zone (-1 only without
     * zones). Pseudo-labels are grouped by the area whose zone (its bounds grown by the ring)
     * holds them, so that each group is replaced by a later run on the same area.
     */
    public static int zoneOf(List<Box> zones, double x, double y) {
        int nearest = -1;
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < zones.size(); i++) {
            Box z = zones.get(i);
            if (z.contains(x, y)) return i;
            double dx = Math.max(Math.max(z.minX - x, 0), x - z.maxX), dy = Math.max(Math.max(z.minY - y, 0), y - z.maxY);
            if (dx * dx + dy * dy < best) {
                best = dx * dx + dy * dy;
                nearest = i;
            }
        }
        return nearest;
    }

    /** True if every point lies in one zone: an earlier pseudo-label of the areas being labelled again. */
    public static boolean withinOneZone(List<Box> zones, double[] xy) {
        if (xy.length < 2) return false;
        Box b = Box.of(xy);
        for (Box z : zones) if (z.contains(b.minX, b.minY) && z.contains(b.maxX, b.maxY)) return true;
        return false;
    }

    /** The class names of `model` that are not in `available` (in the model's order), to add to QuPath's class list. */
    public static List<String> missingClasses(Collection<String> available, List<String> model) {
        List<String> out = new ArrayList<>();
        for (String c : model) if (!available.contains(c) && !out.contains(c)) out.add(c);
        return out;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
