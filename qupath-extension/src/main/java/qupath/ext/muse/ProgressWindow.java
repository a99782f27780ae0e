package qupath.ext.muse;

import java.util.concurrent.atomic.AtomicBoolean;
import javafx.application.Platform;
import javafx.geometry.Insets;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.layout.VBox;
import javafx.stage.Modality;
import javafx.stage.Stage;
import javafx.stage.Window;
import qupath.lib.plugins.SimpleProgressMonitor;
import qupath.lib.regions.ImageRegion;

/**
 * A progress monitor in a small window that does not block QuPath (no modality): for runs that
 * take minutes, such as fine-tuning, while the user goes on looking at slides. Progress bar, the
 * engine's last message, the elapsed time, and Cancel (closing the window cancels too). Called
 * from the worker thread; every change to the window happens on the FX thread.
 */
final class ProgressWindow implements SimpleProgressMonitor {
    private final Window owner;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final long started = System.nanoTime();
    private volatile Stage stage;
    private ProgressBar bar;
    private Label message;
    private int max = 1;
    private int progress;

    ProgressWindow(Window owner) {
        this.owner = owner;
    }

    @Override
    public void startMonitoring(String title, int maxProgress, boolean mayCancel) {
        max = Math.max(1, maxProgress);
        Platform.runLater(() -> {
            bar = new ProgressBar(0);
            bar.setPrefWidth(360);
            message = new Label("starting...");
            message.setWrapText(true);
            Button cancel = new Button("Cancel");
            cancel.setDisable(!mayCancel);
            cancel.setOnAction(e -> {
                cancelled.set(true);
                cancel.setDisable(true);
                message.setText("cancelling at the next step...");
            });
            VBox box = new VBox(10, message, bar, cancel);
            box.setPadding(new Insets(12));
            Stage s = new Stage();
            s.initOwner(owner);
            s.initModality(Modality.NONE);
            s.setTitle(title);
            s.setScene(new Scene(box));
            s.setOnCloseRequest(e -> cancelled.set(mayCancel || cancelled.get()));
            s.show();
            stage = s;
        });
    }

    @Override
    public void updateProgress(int increment, String text, ImageRegion region) {
        synchronized (this) {
            progress += increment;
        }
        double fraction = Math.min(1.0, (double) progress / max);
        String line = text + "  (" + elapsed() + ")";
        Platform.runLater(() -> {
            if (bar != null) bar.setProgress(fraction);
            if (message != null && !cancelled.get()) message.setText(line);
        });
    }

    @Override
    public void pluginCompleted(String text) {
        Platform.runLater(() -> {
            if (stage != null) stage.close();
        });
    }

    @Override
    public boolean cancelled() {
        return cancelled.get();
    }

    private String elapsed() {
        long s = (System.nanoTime() - started) / 1_000_000_000L;
        return s < 60 ? s + " s" : s / 60 + " min " + s % 60 + " s";
    }
}
