package qupath.ext.muse;

import io.github.musequpath.engine.ClassifiedPoints;
import io.github.musequpath.engine.Region;
import java.util.ArrayList;
import java.util.List;

/**
 * The labelled points that fine-tuning and pseudo-labelling may use: those inside the areas being
 * used. Points elsewhere in the image (another area, a forgotten click) are left out and
 * counted, so the summary can say so instead of the whole run failing.
 */
public final class AreaPoints {
    private AreaPoints() { }

    /**
     * @param inside       classified points inside the areas, by class
     * @param used         how many points are in `inside`
     * @param outside      classified points outside every area (left out)
     * @param unclassified points of Points annotations without a class (left out)
     */
    public record Selection(List<ClassifiedPoints> inside, int used, int outside, int unclassified) {
        public Selection {
            inside = List.copyOf(inside);
        }

        /** A line for the user; empty when nothing was left out. */
        public String leftOutNote() {
            List<String> parts = new ArrayList<>();
            if (outside > 0) parts.add(outside + " point(s) outside the selected areas");
            if (unclassified > 0) parts.add(unclassified + " point(s) without a class");
            return parts.isEmpty() ? "" : "left out " + String.join(" and ", parts);
        }
    }

    /** Keeps the points of `points` that lie inside one of `areas`. */
    public static Selection select(List<ClassifiedPoints> points, int unclassified, List<Region> areas) {
        List<ClassifiedPoints> inside = new ArrayList<>();
        int used = 0, outside = 0;
        for (ClassifiedPoints cp : points) {
            double[] xy = cp.xy();
            double[] keep = new double[xy.length];
            int n = 0;
            for (int i = 0; i + 1 < xy.length; i += 2) {
                if (inAny(areas, xy[i], xy[i + 1])) {
                    keep[n++] = xy[i];
                    keep[n++] = xy[i + 1];
                } else {
                    outside++;
                }
            }
            if (n > 0) inside.add(new ClassifiedPoints(cp.className(), cp.rgb(), java.util.Arrays.copyOf(keep, n)));
            used += n / 2;
        }
        return new Selection(inside, used, outside, unclassified);
    }

    /** True if (x, y) lies in one of `areas` (inside its outer ring and in none of its holes). */
    public static boolean inAny(List<Region> areas, double x, double y) {
        for (Region r : areas) {
            if (!inRing(r.outer(), x, y)) continue;
            boolean inHole = false;
            for (double[] hole : r.holes()) inHole |= inRing(hole, x, y);
            if (!inHole) return true;
        }
        return false;
    }

    /** Even-odd rule; a point on the boundary counts as inside (a click on the edge of a square). */
    static boolean inRing(double[] ring, double x, double y) {
        boolean in = false;
        int n = ring.length / 2;
        for (int i = 0, j = n - 1; i < n; j = i++) {
            double xi = ring[2 * i], yi = ring[2 * i + 1], xj = ring[2 * j], yj = ring[2 * j + 1];
            if (onSegment(xi, yi, xj, yj, x, y)) return true;
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
        }
        return in;
    }

    private static boolean onSegment(double x1, double y1, double x2, double y2, double x, double y) {
        double cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1);
        if (Math.abs(cross) > 1e-9 * Math.max(1, Math.hypot(x2 - x1, y2 - y1))) return false;
        return x >= Math.min(x1, x2) - 1e-9 && x <= Math.max(x1, x2) + 1e-9 && y >= Math.min(y1, y2) - 1e-9 && y <= Math.max(y1, y2) + 1e-9;
    }
}
