package io.github.musequpath.engine;

import java.nio.file.Path;

/**
 * How to fine-tune (the engine's defaults are the MUSE paper's LFoV semi-supervised recipe).
 *
 * @param mode            FULL every weight; DECODER backbone frozen; HEADS only the heads, on
 *                        features computed once (fast on a CPU: about half a minute for 10 regions)
 * @param epochs          passes over the annotated regions
 * @param batch           samples per optimiser step
 * @param samplePx        LFoV sample side at the model's resolution (multiple of 32)
 * @param lfov            false: train on the annotated areas alone, without their surroundings
 * @param lr              Adam learning rate at the start (cosine schedule down to lrMin)
 * @param lrMin           learning rate at the end
 * @param consWeight      weight of the pseudo-label loss at the end of its ramp (0 = none)
 * @param consThreshold   confidence a pseudo-label needs
 * @param adaptWeight     first adapt the model's BatchNorm statistics to the images' tissue
 *                        (label-free), blended with its own at this share; 0 = off.
 *                        AUTO_ADAPT_WEIGHT (the default): the share among 0, 0.5 and 1 whose
 *                        model fits the annotated nuclei best before training, so a lab whose
 *                        stain differs gets its own statistics and one like the training data
 *                        keeps the model's (docs/finetune.md)
 * @param stainFitEpochs  first fit a correction of the lab's stain (12 numbers, every weight
 *                        frozen) on the annotated regions for this many passes; 0 = off;
 *                        DEFAULT_STAIN_FIT_EPOCHS by default (closes most of a strong stain
 *                        shift's gap, costs nothing where the colours are alike)
 * @param precision       the network's arithmetic while fine-tuning: AUTO (default) = bfloat16
 *                        where the CPU has it natively (same F1 as float32 within the noise,
 *                        faster; docs/performance.md), else float32; BF16 on a CPU without it
 *                        is an INVALID_ARGUMENT error
 * @param seed            random seed (same seed and threads: same model)
 * @param allowNewClasses point classes the model lacks become new classes (else an error)
 * @param checkpoint      checkpoint file written after every epoch; null = next to the output
 * @param resume          continue an interrupted run from its checkpoint
 */
public record FinetuneOptions(Mode mode, int epochs, int batch, int samplePx, boolean lfov, double lr, double lrMin,
                              double consWeight, double consThreshold, double adaptWeight, int stainFitEpochs,
                              DetectOptions.Precision precision, long seed, boolean allowNewClasses, Path checkpoint, boolean resume) {

    public enum Mode { FULL, DECODER, HEADS }

    /** adaptWeight: choose the share on the annotations (muse::FinetuneOptions::kAdaptAuto). */
    public static final double AUTO_ADAPT_WEIGHT = -1.0;

    /**
     * stainFitEpochs by default: the lab's colours are fitted first in every mode, measured to close
     * most of a strong stain shift's gap and to cost nothing where the colours are alike
     * (docs/finetune.md; the engine's default, muse::FinetuneOptions::stain_fit_epochs).
     */
    public static final int DEFAULT_STAIN_FIT_EPOCHS = 30;

    public FinetuneOptions {
        if (mode == null) throw new IllegalArgumentException("mode must be given");
        if (precision == null) throw new IllegalArgumentException("precision must be given");
    }

    /**
     * Checks every value as fine-tuning would, before it starts: MuseException INVALID_ARGUMENT
     * naming the bad value. The ranges are the engine's (muse::FinetuneOptions::validate), the one
     * place that decides them. Loads the native library if needed.
     */
    public FinetuneOptions validate() {
        NativeLibrary.load();
        String ckpt = checkpoint == null ? "checkpoint beside the output" : checkpoint.toString();
        NativeBridge.checkFinetuneOptions(new NativeFinetuneOptions(this, ckpt, "", "{}"));
        return this;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private Mode mode = Mode.HEADS;
        private int epochs = 30, batch = 4, samplePx = 1024, stainFitEpochs = DEFAULT_STAIN_FIT_EPOCHS;
        private boolean lfov = true, allowNewClasses = false, resume = false;
        private double lr = 1e-4, lrMin = 1e-5, consWeight = 0.1, consThreshold = 0.9, adaptWeight = AUTO_ADAPT_WEIGHT;
        private long seed = 1;
        private Path checkpoint;
        private DetectOptions.Precision precision = DetectOptions.Precision.AUTO;

        public Builder mode(Mode v) { mode = v; return this; }
        public Builder epochs(int v) { epochs = v; return this; }
        public Builder batch(int v) { batch = v; return this; }
        public Builder samplePx(int v) { samplePx = v; return this; }
        public Builder lfov(boolean v) { lfov = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder lrMin(double v) { lrMin = v; return this; }
        public Builder consWeight(double v) { consWeight = v; return this; }
        public Builder consThreshold(double v) { consThreshold = v; return this; }
        public Builder adaptWeight(double v) { adaptWeight = v; return this; }
        public Builder stainFitEpochs(int v) { stainFitEpochs = v; return this; }
        public Builder precision(DetectOptions.Precision v) { precision = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder allowNewClasses(boolean v) { allowNewClasses = v; return this; }
        public Builder checkpoint(Path v) { checkpoint = v; return this; }
        public Builder resume(boolean v) { resume = v; return this; }

        public FinetuneOptions build() {
            return new FinetuneOptions(mode, epochs, batch, samplePx, lfov, lr, lrMin, consWeight, consThreshold, adaptWeight, stainFitEpochs,
                    precision, seed, allowNewClasses, checkpoint, resume);
        }
    }
}
