package io.github.musequpath.engine;

import java.util.List;

/**
 * What a model file says about itself.
 *
 * @param architecture     backbone variant, e.g. "r50_w16", "vit_small"
 * @param mpp              working resolution, micrometres per pixel
 * @param imageSize        training tile side, pixels
 * @param classes          nucleus classes, in the order of {@link Detection#classIndex()}
 * @param scoreThreshold   default score threshold of detection
 * @param mergeRadiusUm    default duplicate-suppression radius, micrometres
 * @param proposalStridePx proposal grid stride at the model's resolution
 * @param provenanceJson   where the weights came from (JSON object)
 */
public record ModelInfo(String architecture, double mpp, int imageSize, List<NucleusClass> classes, double scoreThreshold,
                        double mergeRadiusUm, int proposalStridePx, String provenanceJson) {
    public ModelInfo {
        classes = List.copyOf(classes);
    }

    /** The class of an index, as detections carry it. */
    public NucleusClass classOf(int classIndex) {
        return classes.get(classIndex);
    }
}
