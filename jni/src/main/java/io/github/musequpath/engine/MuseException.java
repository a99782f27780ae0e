package io.github.musequpath.engine;

/**
 * A failure reported by the native engine, with the engine's message: what failed and on which
 * input (a file, an option, a region). Every native failure reaches Java as this exception (or
 * as {@link java.util.concurrent.CancellationException} when the caller cancelled); no input
 * crashes the JVM.
 */
public class MuseException extends RuntimeException {

    /** What kind of failure the engine reported. */
    public enum Kind {
        /** A value given by the caller is out of range or inconsistent. */
        INVALID_ARGUMENT,
        /** A file cannot be opened, read, written or renamed. */
        IO_ERROR,
        /** The input is not in a format the engine reads. */
        UNSUPPORTED_FORMAT,
        /** The input is in a format the engine reads, but damaged. */
        CORRUPT_FILE,
        /** Model weights that do not fit the architecture. */
        MODEL_MISMATCH,
        /** Memory ran out in native code. */
        OUT_OF_MEMORY,
        /** Anything else (a bug, or an error inside LibTorch). */
        INTERNAL
    }

    private static final long serialVersionUID = 1L;
    private final Kind kind;

    public MuseException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** Called from native code, which names the kind as a string. */
    MuseException(String kind, String message) {
        this(Kind.valueOf(kind), message);
    }

    public Kind kind() {
        return kind;
    }
}
