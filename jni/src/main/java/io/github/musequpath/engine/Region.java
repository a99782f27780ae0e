package io.github.musequpath.engine;

import java.util.List;
import java.util.Objects;

/**
 * An area in level-0 pixels: an outer ring and holes, each as x0, y0, x1, y1, ... (closed
 * implicitly). Used to restrict detection, and as the areas a user annotated for fine-tuning.
 *
 * @param name  the annotation's name ("" if none); an annotation area named "no nuclei" is
 *              known to hold none
 * @param outer outer ring, at least 3 points
 * @param holes inner rings
 */
public record Region(String name, double[] outer, List<double[]> holes) {
    public Region {
        Objects.requireNonNull(name, "name");
        outer = checkRing(outer);
        holes = holes.stream().map(Region::checkRing).toList();
    }

    /** An unnamed rectangle. */
    public static Region rectangle(double x, double y, double width, double height) {
        if (!(width > 0 && height > 0)) throw new IllegalArgumentException("a rectangle needs a positive size: " + width + "x" + height);
        return new Region("", new double[] {x, y, x + width, y, x + width, y + height, x, y + height}, List.of());
    }

    /** An unnamed polygon without holes. */
    public static Region polygon(double... xy) {
        return new Region("", xy, List.of());
    }

    /** The same area under another name. */
    public Region named(String newName) {
        return new Region(newName, outer, holes);
    }

    @Override
    public double[] outer() {
        return outer.clone();
    }

    private static double[] checkRing(double[] ring) {
        Objects.requireNonNull(ring, "ring");
        if (ring.length < 6 || ring.length % 2 != 0) {
            throw new IllegalArgumentException("a ring needs at least 3 points as x, y pairs, got " + ring.length + " numbers");
        }
        for (double v : ring) if (!Double.isFinite(v)) throw new IllegalArgumentException("ring coordinates must be finite");
        return ring.clone();
    }
}
