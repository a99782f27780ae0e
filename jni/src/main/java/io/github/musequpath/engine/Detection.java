package io.github.musequpath.engine;

/**
 * A detected nucleus, in full-resolution (level-0) pixels of the image it was found in.
 *
 * @param x             column, level-0 pixels
 * @param y             row, level-0 pixels
 * @param classIndex    index into the model's classes ({@link ModelInfo#classes()})
 * @param className     that class's name
 * @param score         probability of that class
 * @param probabilities one probability per class of the model, same order (background left out)
 */
public record Detection(double x, double y, int classIndex, String className, float score, float[] probabilities) {
    public Detection {
        probabilities = probabilities.clone();
    }

    @Override
    public float[] probabilities() {
        return probabilities.clone();
    }
}
