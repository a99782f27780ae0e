package io.github.musequpath.engine;

import java.util.Objects;

/**
 * Nuclei a user clicked with one class (one QuPath Points annotation), level-0 pixels.
 *
 * @param className the class; must be one of the model's unless new classes are allowed
 * @param rgb       colour 0xRRGGBB for a new class, or -1 for none
 * @param xy        x0, y0, x1, y1, ...
 */
public record ClassifiedPoints(String className, int rgb, double[] xy) {
    public ClassifiedPoints {
        Objects.requireNonNull(className, "className");
        if (className.isEmpty()) throw new IllegalArgumentException("points need a class name");
        Objects.requireNonNull(xy, "xy");
        if (xy.length % 2 != 0) throw new IllegalArgumentException("points come as x, y pairs, got " + xy.length + " numbers");
        for (double v : xy) if (!Double.isFinite(v)) throw new IllegalArgumentException("point coordinates must be finite");
        xy = xy.clone();
    }

    public ClassifiedPoints(String className, double... xy) {
        this(className, -1, xy);
    }

    @Override
    public double[] xy() {
        return xy.clone();
    }
}
