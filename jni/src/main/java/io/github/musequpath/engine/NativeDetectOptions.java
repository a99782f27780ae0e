package io.github.musequpath.engine;

/**
 * DetectOptions as named fields for native code, which reads them by name and checks every range
 * (muse::SlideDetectOptions::validate is the one place that decides what is allowed).
 */
final class NativeDetectOptions {
    final double scoreThreshold;
    final double mergeRadiusUm;
    final double mpp;
    final double overlapUm;
    final int tilePx;
    final int batch;
    final int readerThreads;
    final boolean tissueMask;
    final double[][][] regions;  // per region: outer, holes...
    final String precision;      // "auto", "fp32" or "bf16"

    NativeDetectOptions(DetectOptions o) {
        scoreThreshold = o.scoreThreshold();
        mergeRadiusUm = o.mergeRadiusUm();
        mpp = o.mpp();
        overlapUm = o.overlapUm();
        tilePx = o.tilePx();
        batch = o.batch();
        readerThreads = o.readerThreads();
        tissueMask = o.tissueMask();
        regions = MuseModel.rings(o.regions());
        precision = o.precision().name().toLowerCase(java.util.Locale.ROOT);
    }
}
