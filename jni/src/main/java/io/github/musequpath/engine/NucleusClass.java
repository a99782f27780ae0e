package io.github.musequpath.engine;

import java.util.Objects;

/**
 * A nucleus class as a model names and colours it (QuPath shows detections in this colour).
 *
 * @param name  the class name, e.g. "Tumor"
 * @param red   0..255
 * @param green 0..255
 * @param blue  0..255
 */
public record NucleusClass(String name, int red, int green, int blue) {
    public NucleusClass {
        Objects.requireNonNull(name, "name");
        for (int c : new int[] {red, green, blue}) {
            if (c < 0 || c > 255) throw new IllegalArgumentException("colour components must be in 0..255, got " + c);
        }
    }

    /** The colour packed as 0xRRGGBB (QuPath's ColorTools.packRGB). */
    public int packedRgb() {
        return (red << 16) | (green << 8) | blue;
    }

    static NucleusClass fromPacked(String name, int rgb) {
        return new NucleusClass(name, (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF);
    }
}
