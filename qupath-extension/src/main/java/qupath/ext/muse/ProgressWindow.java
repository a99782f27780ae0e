package qupath.ext.muse;

import javafx.concurrent.Task;
import javafx.geometry.Insets;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.layout.VBox;
import javafx.stage.Modality;
import javafx.stage.Stage;
import javafx.stage.Window;

/**
 * A small progress window bound to a running task: title, progress bar, the engine's last
 * message (tiles and nuclei, or epoch and loss), and Cancel. Closes itself when the task ends.
 * FX thread only.
 */
final class ProgressWindow {
    private ProgressWindow() { }

    static void show(Window owner, String title, Task<?> task) {
        Stage stage = new Stage();
        if (owner != null) stage.initOwner(owner);
        stage.initModality(Modality.NONE);
        stage.setTitle(title);
        ProgressBar bar = new ProgressBar();
        bar.setPrefWidth(420);
        bar.progressProperty().bind(task.progressProperty());
        Label message = new Label();
        message.textProperty().bind(task.messageProperty());
        Button cancel = new Button("Cancel");
        cancel.setOnAction(e -> {
            cancel.setDisable(true);
            task.cancel(true);  // interrupts the worker; the engine stops within one batch or sample
        });
        VBox box = new VBox(10, message, bar, cancel);
        box.setPadding(new Insets(12));
        stage.setScene(new Scene(box));
        stage.setOnCloseRequest(e -> task.cancel(true));
        task.runningProperty().addListener((obs, was, running) -> {
            if (!running) stage.close();
        });
        stage.show();
    }
}
