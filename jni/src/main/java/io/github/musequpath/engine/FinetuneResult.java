package io.github.musequpath.engine;

import java.nio.file.Path;
import java.util.List;

/**
 * A finished fine-tuning.
 *
 * @param model             the new model file (the base model is never overwritten)
 * @param history           one entry per epoch, resumed ones included
 * @param regions           annotated regions used
 * @param nuclei            labelled nuclei in them
 * @param resumedAfterEpoch epochs taken from a checkpoint (0 when the run started afresh)
 * @param cacheSeconds      HEADS mode: time spent computing the features once
 * @param adaptedTiles      tissue tiles the BatchNorm statistics were adapted to first (0 = none:
 *                          off, a model without BatchNorm, too little tissue, or the model's own
 *                          statistics chosen)
 * @param adaptWeight       the share of the images' statistics it adapted at (0 = not adapted)
 * @param adaptWeightChosen whether that share was chosen on the annotations (the default,
 *                          FinetuneOptions.AUTO_ADAPT_WEIGHT) rather than given
 * @param newClasses        classes added to the model (allowNewClasses)
 */
public record FinetuneResult(Path model, List<Epoch> history, long regions, long nuclei, int resumedAfterEpoch,
                             double cacheSeconds, long adaptedTiles, double adaptWeight, boolean adaptWeightChosen,
                             List<String> newClasses) {
    public FinetuneResult {
        history = List.copyOf(history);
        newClasses = List.copyOf(newClasses);
    }

    /** Means over one epoch's samples. */
    public record Epoch(int epoch, double loss, double lossType, double lossReg, double lossCons, double lambdaCons,
                        double learningRate, double seconds, long pseudoLabels) { }
}
