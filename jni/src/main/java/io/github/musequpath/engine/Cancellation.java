package io.github.musequpath.engine;

/**
 * A request, from any thread, to stop a running operation. The operation then throws
 * {@link java.util.concurrent.CancellationException} within one batch of tiles or one training
 * sample, and writes no output file. Interrupting the thread that runs the operation has the
 * same effect (QuPath's Cancel buttons interrupt).
 */
public final class Cancellation {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
