package qupath.ext.muse;

import io.github.musequpath.engine.Cancellation;
import io.github.musequpath.engine.ProgressListener;
import qupath.lib.plugins.SimpleProgressMonitor;

/**
 * Shows the engine's progress in one of QuPath's own progress monitors (the dialog with the
 * progress bar and Cancel that QuPath's commands use, from {@code TaskRunnerFX}), and turns its
 * Cancel into a {@link Cancellation} of the running operation.
 *
 * <p>A QuPath monitor counts to a fixed maximum set once, while the engine reports done/total
 * that may restart (one run per annotated area), so the bar runs in permille of the reported
 * fraction and only ever moves forward. Cancel is noticed at the next report, which the engine
 * makes at least once per batch of tiles or training sample: the same moment it would stop anyway.
 */
final class MonitorProgressListener implements ProgressListener, AutoCloseable {
    static final int STEPS = 1000;

    private final SimpleProgressMonitor monitor;
    private final Cancellation cancellation;
    private int shown;
    private boolean closed;

    /** Starts `monitor` with `title`; call from a worker thread (QuPath shows its dialog only then). */
    MonitorProgressListener(SimpleProgressMonitor monitor, String title, Cancellation cancellation) {
        this.monitor = monitor;
        this.cancellation = cancellation;
        monitor.startMonitoring(title, STEPS, true);
    }

    @Override
    public synchronized void progress(long done, long total, String unit, String message) {
        if (closed) return;
        if (monitor.cancelled()) cancellation.cancel();
        // The last step is left to close(): a monitor that reaches its maximum closes its dialog
        // while the result is still being turned into objects.
        int step = total <= 0 ? shown : (int) Math.min(STEPS - 1, Math.max(0, done) * STEPS / total);
        String line = message == null || message.isEmpty() ? done + "/" + total + " " + unit : message;
        monitor.updateProgress(Math.max(0, step - shown), line, null);
        shown = Math.max(shown, step);
    }

    /** Closes the dialog with `message` (logged by QuPath). Idempotent. */
    synchronized void finish(String message) {
        if (closed) return;
        closed = true;
        monitor.pluginCompleted(message);
    }

    @Override
    public void close() {
        finish(cancellation.isCancelled() ? "Cancelled" : "Done");
    }
}
