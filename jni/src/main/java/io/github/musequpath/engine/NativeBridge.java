package io.github.musequpath.engine;

/**
 * The native methods, one per engine entry point. Marshalling only: arguments are checked and
 * shaped by the public classes, results are assembled there. Every native failure arrives as
 * MuseException (or CancellationException).
 */
final class NativeBridge {
    private NativeBridge() { }

    static native String version();

    static native int setComputeThreads(int threads);

    static native boolean retainFreedMemory();

    /** Returns a handle for the model; free it with freeModel. */
    static native long loadModel(String path);

    static native void freeModel(long handle);

    /**
     * {String arch, String provenance, String[] classNames, int[] classRgb,
     *  double[] {mpp, scoreThreshold, mergeRadiusUm}, int[] {imgSize, proposalStride}}
     */
    static native Object[] modelInfo(long handle);

    /**
     * Detects nuclei in a slide file (feed null) or a pixel feed (path null).
     * numbers: {scoreThreshold, mergeRadiusUm, mpp, overlapUm}; ints: {tilePx, batch, readers, tissueMask};
     * regions: per region {outer, hole, hole...}.
     * Returns {double[] xy, int[] classes, float[] scores, float[] probabilities (n x K),
     *          long[] {tilesTotal, tilesPlanned, tilesDone, tilesFailed}, double[] {seconds, mpp}, String[] failures}.
     */
    static native Object[] detect(long model, String path, NativePixelFeed feed, double[] numbers, int[] ints,
                                  double[][][] regions, NativeProgress progress);

    /** Pseudo-labels around the annotated areas of one image; returns what detect returns. */
    static native Object[] pseudoLabel(long model, NativeAnnotatedImage image, double ringUm, double threshold,
                                       double[] numbers, int[] ints, NativeProgress progress);

    /**
     * Fine-tunes and writes the new model to output.
     * numbers: {lr, lrMin, consWeight, consThreshold}; ints: {epochs, batch, samplePx, lfov, allowNewClasses, resume};
     * Returns {double[] history (9 values per epoch: epoch, loss, type, reg, cons, lambdaCons, lr, seconds, pseudoLabels),
     *          long[] {regions, nuclei, resumedAfterEpoch}, double cacheSeconds (as double[1]), String[] newClasses}.
     */
    static native Object[] finetune(long model, NativeAnnotatedImage[] images, String mode, long seed, double[] numbers,
                                     int[] ints, String checkpoint, String output, String provenanceJson,
                                     NativeProgress progress);
}
