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

    /** Fills `out` with what the model file says about itself. */
    static native void modelInfo(long handle, NativeModelInfo out);

    /** Checks detection options as every detection call would (MuseException INVALID_ARGUMENT naming the value). */
    static native void checkDetectOptions(NativeDetectOptions options);

    /** Checks fine-tuning options as a fine-tuning call would. */
    static native void checkFinetuneOptions(NativeFinetuneOptions options);

    /** Detects nuclei in a slide file (feed null) or a pixel feed (path null); fills `out`. */
    static native void detect(long model, String path, NativePixelFeed feed, NativeDetectOptions options, NativeProgress progress,
                              NativeDetections out);

    /** Pseudo-labels around the annotated areas of one image (options.regions unused); fills `out`. */
    static native void pseudoLabel(long model, NativeAnnotatedImage image, double ringUm, double threshold, NativeDetectOptions options,
                                   NativeProgress progress, NativeDetections out);

    /** Fine-tunes and writes the new model to options.output; fills `out`. */
    static native void finetune(long model, NativeAnnotatedImage[] images, NativeFinetuneOptions options, NativeProgress progress,
                                NativeFinetuneResult out);
}
