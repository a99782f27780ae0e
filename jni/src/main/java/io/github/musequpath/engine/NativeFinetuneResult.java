package io.github.musequpath.engine;

import java.util.ArrayList;
import java.util.List;

/** What a fine-tuning run returns, filled by native code field by field (and epoch by epoch). */
final class NativeFinetuneResult {
    final List<FinetuneResult.Epoch> history = new ArrayList<>();
    long regions;
    long nuclei;
    int resumedAfterEpoch;
    double cacheSeconds;
    long adaptedTiles;
    double adaptWeight;
    int adaptWeightsTried;  // 0 when the weight was given, not chosen
    String[] newClasses;

    /** Called by native code once per epoch, in order. */
    void addEpoch(int epoch, double loss, double lossType, double lossReg, double lossCons, double lambdaCons, double learningRate,
                  double seconds, long pseudoLabels) {
        history.add(new FinetuneResult.Epoch(epoch, loss, lossType, lossReg, lossCons, lambdaCons, learningRate, seconds, pseudoLabels));
    }
}
