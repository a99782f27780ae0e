package io.github.musequpath.engine;

import java.util.List;

/**
 * A PixelSource shaped for native code: plain fields and one read method whose result length is
 * checked here, so that native code only copies bytes.
 */
final class NativePixelFeed {
    final String name;
    final double mpp;
    final long[] levelSizes;     // width, height per level
    final double[] downsamples;  // per level
    private final PixelSource source;

    NativePixelFeed(PixelSource source) {
        this.source = source;
        this.name = source.name() == null ? "pixel source" : source.name();
        double m = source.mpp();
        this.mpp = Double.isFinite(m) && m > 0 ? m : 0;
        List<PixelSource.Level> levels = source.levels();
        if (levels == null || levels.isEmpty()) throw new IllegalArgumentException(name + " has no levels");
        levelSizes = new long[levels.size() * 2];
        downsamples = new double[levels.size()];
        for (int i = 0; i < levels.size(); i++) {
            levelSizes[2 * i] = levels.get(i).width();
            levelSizes[2 * i + 1] = levels.get(i).height();
            downsamples[i] = levels.get(i).downsample();
        }
    }

    /** Called by the engine's reader threads. */
    byte[] read(int level, long x, long y, int width, int height) throws Exception {
        byte[] rgb = source.readRgb(level, x, y, width, height);
        if (rgb == null || rgb.length != width * height * 3) {
            throw new IllegalStateException(name + ": readRgb returned " + (rgb == null ? "null" : rgb.length + " bytes")
                    + " for a " + width + "x" + height + " region (expected " + (width * height * 3) + ")");
        }
        return rgb;
    }
}
