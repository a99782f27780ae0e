package io.github.musequpath.engine;

/**
 * FinetuneOptions and where to write, as named fields for native code, which reads them by name
 * and checks every range (muse::FinetuneOptions::validate is the one place that decides).
 */
final class NativeFinetuneOptions {
    final String mode;          // "full", "decoder" or "heads"
    final String precision;     // "auto", "fp32" or "bf16"
    final long seed;
    final double lr;
    final double lrMin;
    final double consWeight;
    final double consThreshold;
    final double adaptWeight;
    final int epochs;
    final int stainFitEpochs;
    final int batch;
    final int samplePx;
    final boolean lfov;
    final boolean allowNewClasses;
    final boolean resume;
    final String checkpoint;    // never null: the engine refuses the base model's file
    final String output;
    final String provenanceJson;

    NativeFinetuneOptions(FinetuneOptions o, String checkpoint, String output, String provenanceJson) {
        mode = o.mode().name().toLowerCase(java.util.Locale.ROOT);
        precision = o.precision().name().toLowerCase(java.util.Locale.ROOT);
        seed = o.seed();
        lr = o.lr();
        lrMin = o.lrMin();
        consWeight = o.consWeight();
        consThreshold = o.consThreshold();
        adaptWeight = o.adaptWeight();
        epochs = o.epochs();
        stainFitEpochs = o.stainFitEpochs();
        batch = o.batch();
        samplePx = o.samplePx();
        lfov = o.lfov();
        allowNewClasses = o.allowNewClasses();
        resume = o.resume();
        this.checkpoint = checkpoint;
        this.output = output;
        this.provenanceJson = provenanceJson;
    }
}
