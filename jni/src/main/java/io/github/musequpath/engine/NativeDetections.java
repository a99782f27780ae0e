package io.github.musequpath.engine;

/** What a detection or pseudo-labelling run returns, filled by native code field by field. */
final class NativeDetections {
    double[] xy;             // x, y per nucleus, level-0 pixels
    int[] classes;
    float[] scores;
    float[] probabilities;   // n x classes
    long tilesTotal;
    long tilesPlanned;
    long tilesDone;
    long tilesFailed;
    double seconds;
    double mpp;
    String[] failures;
}
