package io.github.musequpath.engine;

/** What a model file says about itself, filled by native code field by field. */
final class NativeModelInfo {
    String arch;
    String provenanceJson;
    String[] classNames;
    int[] classRgb;          // 0xRRGGBB per class
    double mpp;
    double scoreThreshold;
    double mergeRadiusUm;
    int imageSize;
    int proposalStridePx;
}
