package io.github.musequpath.engine;

import java.util.List;

/**
 * How to detect: decoding, resolution, tiling and regions. Zero means "the model's default"
 * for the threshold and radius, "from the image" for the MPP. The native engine checks the values
 * (see {@link #validate()}).
 *
 * <pre>{@code
 * DetectOptions o = DetectOptions.builder().scoreThreshold(0.5).regions(List.of(Region.rectangle(0, 0, 2048, 2048))).build();
 * }</pre>
 */
public record DetectOptions(double scoreThreshold, double mergeRadiusUm, double mpp, int tilePx, double overlapUm, int batch,
                            int readerThreads, boolean tissueMask, List<Region> regions, Precision precision) {
    /**
     * The network's arithmetic: AUTO (the default) is bfloat16 where the CPU has it natively
     * (AVX512-BF16 or AMX; detections agree with FP32's to 99.6 % within 1 px, docs/performance.md)
     * and float32 elsewhere; BF16 on a CPU without it is an INVALID_ARGUMENT error.
     */
    public enum Precision { AUTO, FP32, BF16 }

    public DetectOptions {
        regions = List.copyOf(regions);
        if (precision == null) throw new IllegalArgumentException("precision must be given");
    }

    /**
     * Checks every value as a detection would, before one starts (e.g. when a dialog closes):
     * MuseException INVALID_ARGUMENT naming the bad value. The ranges are the engine's
     * (muse::SlideDetectOptions::validate), the one place that decides them; every detection
     * checks again. Loads the native library if needed.
     */
    public DetectOptions validate() {
        NativeLibrary.load();
        NativeBridge.checkDetectOptions(new NativeDetectOptions(this));
        return this;
    }

    /** The defaults: the model's threshold and radius, 512 px tiles, 16 um overlap, batch 4, 2 readers, tissue mask on, AUTO precision. */
    public static DetectOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().scoreThreshold(scoreThreshold).mergeRadiusUm(mergeRadiusUm).mpp(mpp).tilePx(tilePx)
                .overlapUm(overlapUm).batch(batch).readerThreads(readerThreads).tissueMask(tissueMask).regions(regions).precision(precision);
    }

    public static final class Builder {
        private double scoreThreshold = 0, mergeRadiusUm = 0, mpp = 0, overlapUm = 16;
        private int tilePx = 512, batch = 4, readerThreads = 2;
        private boolean tissueMask = true;
        private List<Region> regions = List.of();
        private Precision precision = Precision.AUTO;

        public Builder scoreThreshold(double v) { scoreThreshold = v; return this; }
        public Builder mergeRadiusUm(double v) { mergeRadiusUm = v; return this; }
        public Builder mpp(double v) { mpp = v; return this; }
        public Builder tilePx(int v) { tilePx = v; return this; }
        public Builder overlapUm(double v) { overlapUm = v; return this; }
        public Builder batch(int v) { batch = v; return this; }
        public Builder readerThreads(int v) { readerThreads = v; return this; }
        public Builder tissueMask(boolean v) { tissueMask = v; return this; }
        public Builder regions(List<Region> v) { regions = List.copyOf(v); return this; }
        public Builder precision(Precision v) { precision = v; return this; }

        public DetectOptions build() {
            return new DetectOptions(scoreThreshold, mergeRadiusUm, mpp, tilePx, overlapUm, batch, readerThreads, tissueMask, regions, precision);
        }
    }
}
