package io.github.musequpath.engine;

import java.util.List;
import java.util.Objects;

/** A one-level {@link PixelSource} over RGB bytes in memory (tests, scripts, small images). */
public final class RgbImageSource implements PixelSource {
    private final String name;
    private final int width, height;
    private final byte[] rgb;
    private final double mpp;

    /**
     * @param rgb r, g, b bytes row by row, {@code width * height * 3} of them (not copied)
     * @param mpp micrometres per pixel (0 = unknown)
     */
    public RgbImageSource(String name, int width, int height, byte[] rgb, double mpp) {
        this.name = Objects.requireNonNull(name, "name");
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
        if (rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException(name + ": " + rgb.length + " bytes for a " + width + "x" + height + " RGB image");
        }
        this.width = width;
        this.height = height;
        this.rgb = rgb;
        this.mpp = mpp;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double mpp() {
        return mpp;
    }

    @Override
    public List<Level> levels() {
        return List.of(new Level(width, height, 1.0));
    }

    @Override
    public byte[] readRgb(int level, long x, long y, int w, int h) {
        if (level != 0) throw new IllegalArgumentException(name + " has one level, not " + (level + 1));
        byte[] out = new byte[w * h * 3];
        java.util.Arrays.fill(out, (byte) 255);
        for (int r = 0; r < h; r++) {
            long sy = y + r;
            if (sy < 0 || sy >= height) continue;
            long x0 = Math.max(x, 0), x1 = Math.min(x + w, width);
            if (x1 <= x0) continue;
            System.arraycopy(rgb, (int) ((sy * width + x0) * 3), out, (int) ((r * (long) w + (x0 - x)) * 3), (int) ((x1 - x0) * 3));
        }
        return out;
    }
}
