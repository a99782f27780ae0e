package io.github.musequpath.engine;

/**
 * Progress of a long native operation, called on the thread that started it (about once per
 * batch of tiles or per training sample).
 */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param done    units finished
     * @param total   units in all (0 when unknown)
     * @param unit    what a unit is: "tiles", "samples"
     * @param message one line for a person (nuclei so far, loss, rate)
     */
    void progress(long done, long total, String unit, String message);

    /** A listener that ignores every report. */
    ProgressListener NONE = (done, total, unit, message) -> { };
}
