package io.github.musequpath.engine;

import java.io.IOException;
import java.util.List;

/**
 * Pixels of an image that the caller reads (QuPath's ImageServer, an array in memory). The
 * engine plans its tiles at the model's resolution on this description, reads the pixels it
 * needs through {@link #readRgb}, and maps everything back to level-0 pixels, exactly as for a
 * slide file.
 *
 * <p>{@link #readRgb} is called from the engine's reader threads, several at once: it must be
 * thread-safe (QuPath's ImageServer is).
 */
public interface PixelSource {

    /** One resolution level: its size in its own pixels, and level-0 pixels per pixel. */
    record Level(long width, long height, double downsample) {
        public Level {
            if (width <= 0 || height <= 0) throw new IllegalArgumentException("a level must not be empty: " + width + "x" + height);
            if (!(downsample >= 1.0)) throw new IllegalArgumentException("a level's downsample must be >= 1, got " + downsample);
        }
    }

    /** Names the image in messages (its path or URI). */
    String name();

    /** Micrometres per level-0 pixel; 0 or NaN when unknown (detection then needs an explicit MPP). */
    double mpp();

    /** Level 0 (downsample 1) first, then ever coarser levels. */
    List<Level> levels();

    /**
     * RGB pixels of a level: {@code width x height} pixels of that level whose top-left corner is
     * (x, y) in level-0 pixels, as bytes r, g, b, r, g, b, ... row by row ({@code width * height * 3}
     * bytes). Parts outside the image are white.
     *
     * @throws IOException when the pixels cannot be read; the engine skips, reports and counts the tile
     */
    byte[] readRgb(int level, long x, long y, int width, int height) throws IOException;
}
