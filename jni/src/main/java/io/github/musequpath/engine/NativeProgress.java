package io.github.musequpath.engine;

/**
 * Relays native progress to a listener, and tells native code to stop when the caller
 * cancelled or interrupted the thread. An exception from the listener stops the operation and
 * reaches the caller unchanged.
 */
final class NativeProgress {
    private final ProgressListener listener;
    private final Cancellation cancellation;

    NativeProgress(ProgressListener listener, Cancellation cancellation) {
        this.listener = listener == null ? ProgressListener.NONE : listener;
        this.cancellation = cancellation;
    }

    /** Called by native code; false = stop. */
    boolean update(long done, long total, String unit, String message) {
        listener.progress(done, total, unit, message);
        return !stopRequested();
    }

    boolean stopRequested() {
        return (cancellation != null && cancellation.isCancelled()) || Thread.currentThread().isInterrupted();
    }
}
