package qupath.ext.muse;

import io.github.musequpath.engine.Cancellation;
import io.github.musequpath.engine.FinetuneResult;
import io.github.musequpath.engine.NativeLibrary;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import javafx.application.Platform;
import javafx.scene.control.Alert;
import javafx.scene.control.ChoiceDialog;
import javafx.scene.control.TextInputDialog;
import javafx.stage.FileChooser;
import qupath.fx.dialogs.Dialogs;
import qupath.lib.gui.QuPathGUI;
import qupath.lib.gui.TaskRunnerFX;
import qupath.lib.images.ImageData;
import qupath.lib.io.PathIO;
import qupath.lib.objects.PathObject;
import qupath.lib.plugins.workflow.DefaultScriptableWorkflowStep;

/**
 * The menu commands: each reads the current image and selection on the FX thread, runs the
 * engine on a worker thread with QuPath's progress dialog and Cancel, then reports, records a
 * replayable workflow step, and never blocks the FX thread.
 */
final class MuseCommands {
    private final QuPathGUI qupath;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "muse-worker");
        t.setDaemon(true);
        return t;
    });

    MuseCommands(QuPathGUI qupath) {
        this.qupath = qupath;
    }

    void detect() {
        ImageData<BufferedImage> imageData = currentImage();
        if (imageData == null) return;
        List<PathObject> selected = new ArrayList<>(imageData.getHierarchy().getSelectionModel().getSelectedObjects());
        boolean hasAreas = selected.stream().anyMatch(o -> o.isAnnotation() && o.getROI() != null && o.getROI().isArea());
        MuseSettings s = MusePreferences.settings();
        run("MUSE: detecting nuclei", muse -> muse.detect(imageData, hasAreas ? selected : List.of()), summary -> {
            imageData.getHistoryWorkflow().addStep(new DefaultScriptableWorkflowStep("MUSE detect nuclei", MuseScript.detect(s, hasAreas)));
            Dialogs.showInfoNotification("MUSE", summary.nuclei() + " nuclei in " + summary.tilesDone() + " tiles ("
                    + String.format("%.1f", summary.seconds()) + " s)" + failedNote(summary));
        });
    }

    void pseudoLabel() {
        ImageData<BufferedImage> imageData = currentImage();
        if (imageData == null) return;
        List<PathObject> selected = new ArrayList<>(imageData.getHierarchy().getSelectionModel().getSelectedObjects());
        MuseSettings s = MusePreferences.settings();
        double ring = MusePreferences.pseudoLabelRingUm(), threshold = MusePreferences.pseudoLabelThreshold();
        run("MUSE: pseudo-labels", muse -> muse.pseudoLabel(imageData, selected, ring, threshold), summary -> {
            imageData.getHistoryWorkflow().addStep(new DefaultScriptableWorkflowStep("MUSE pseudo-labels", MuseScript.pseudoLabel(s, ring, threshold)));
            Dialogs.showInfoNotification("MUSE", summary.nuclei() + " pseudo-labels to review (named 'MUSE pseudo-label')");
        });
    }

    void finetune() {
        ImageData<BufferedImage> imageData = currentImage();
        if (imageData == null) return;
        List<PathObject> selected = new ArrayList<>(imageData.getHierarchy().getSelectionModel().getSelectedObjects());
        ChoiceDialog<String> modeDialog = new ChoiceDialog<>("heads", "heads", "decoder", "full");
        modeDialog.setTitle("MUSE fine-tuning");
        modeDialog.setHeaderText("What to train: heads (about a minute), decoder, or full (slow on a CPU)");
        var mode = modeDialog.showAndWait();
        if (mode.isEmpty()) return;
        TextInputDialog epochsDialog = new TextInputDialog("30");
        epochsDialog.setTitle("MUSE fine-tuning");
        epochsDialog.setHeaderText("Epochs (passes over the annotated areas)");
        var epochsText = epochsDialog.showAndWait();
        if (epochsText.isEmpty()) return;
        int epochs;
        try {
            epochs = Integer.parseInt(epochsText.get().strip());
            if (epochs < 1) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            Dialogs.showErrorMessage("MUSE", "Epochs must be a whole number >= 1, got '" + epochsText.get() + "'");
            return;
        }
        Path output = newModelPath();
        MuseSettings s = MusePreferences.settings();
        run("MUSE: fine-tuning", muse -> muse.finetune(imageData, selected, output.toString(), mode.get(), epochs), (FinetuneResult r) -> {
            imageData.getHistoryWorkflow().addStep(new DefaultScriptableWorkflowStep("MUSE fine-tune", MuseScript.finetune(s, output, mode.get(), epochs)));
            var last = r.history().get(r.history().size() - 1);
            if (Dialogs.showYesNoDialog("MUSE", "Saved " + output + "\n" + r.regions() + " regions, " + r.nuclei() + " nuclei, final loss "
                    + String.format("%.4f", last.loss()) + ".\nUse this model from now on and detect again?")) {
                MusePreferences.setModel(output);
                detect();
            }
        });
    }

    void exportGeoJson() {
        ImageData<BufferedImage> imageData = currentImage();
        if (imageData == null) return;
        var detections = imageData.getHierarchy().getDetectionObjects();
        if (detections.isEmpty()) {
            Dialogs.showWarningNotification("MUSE", "There are no detections to export");
            return;
        }
        FileChooser chooser = new FileChooser();
        chooser.setTitle("Export MUSE detections");
        chooser.getExtensionFilters().add(new FileChooser.ExtensionFilter("GeoJSON", "*.geojson"));
        chooser.setInitialFileName("nuclei.geojson");
        File file = chooser.showSaveDialog(qupath.getStage());
        if (file == null) return;
        try {
            // QuPath's own writer: the file re-imports exactly; temp file then rename, so a failure leaves nothing half-written.
            Path target = file.toPath();
            Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), ".muse-export", ".geojson");
            PathIO.exportObjectsAsGeoJSON(tmp, detections, PathIO.GeoJsonExportOptions.FEATURE_COLLECTION);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Dialogs.showInfoNotification("MUSE", detections.size() + " detections written to " + target);
        } catch (Exception e) {
            Dialogs.showErrorMessage("MUSE export", e);
        }
    }

    void settings() {
        MuseSettings s = MusePreferences.settings();
        String library;
        try {
            NativeLibrary.load(s.nativeLibrary() != null ? s.nativeLibrary() : MuseExtension.extensionFolder());
            library = "engine " + NativeLibrary.version() + " loaded from " + NativeLibrary.loadedFrom();
        } catch (RuntimeException e) {
            library = e.getMessage();
        }
        Alert alert = new Alert(Alert.AlertType.INFORMATION);
        alert.initOwner(qupath.getStage());
        alert.setTitle("MUSE settings");
        alert.setHeaderText("MUSE nucleus detection");
        alert.setContentText("Model: " + (s.model() == null ? "the default model beside the extension" : s.model())
                + "\nThreads: " + (s.threads() == 0 ? "one per core" : s.threads()) + "\nTile size: " + s.tilePx() + " px"
                + "\nScore threshold: " + (s.scoreThreshold() == 0 ? "the model's" : s.scoreThreshold())
                + "\nMerge radius: " + (s.mergeRadiusUm() == 0 ? "the model's" : s.mergeRadiusUm() + " um")
                + "\nNative library: " + library + "\n\nChange them in Edit > Preferences > MUSE.");
        alert.show();
    }

    /** Where a fine-tuned model goes: the project's muse-models folder, or beside the base model; never the base model. */
    private Path newModelPath() {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path folder = null;
        var project = qupath.getProject();
        if (project != null && project.getPath() != null) folder = project.getPath().toAbsolutePath().getParent().resolve("muse-models");
        if (folder == null) folder = Path.of(System.getProperty("user.home"), "muse-models");
        return folder.resolve("muse-finetuned-" + stamp + ".muse");
    }

    private ImageData<BufferedImage> currentImage() {
        ImageData<BufferedImage> imageData = qupath.getImageData();
        if (imageData == null) Dialogs.showErrorMessage("MUSE", "Open an image first");
        return imageData;
    }

    private static String failedNote(Muse.Summary s) {
        return s.tilesFailed() == 0 ? "" : "; " + s.tilesFailed() + " unreadable tiles skipped: " + s.failures().get(0);
    }

    private interface Done<T> {
        void accept(T result);
    }

    /**
     * Runs `work` on the worker thread with QuPath's progress dialog (its Cancel stops the engine
     * within one batch); the result, an error or the cancellation is reported on the FX thread.
     */
    private <T> void run(String title, Function<Muse, T> work, Done<T> done) {
        worker.submit(() -> {
            Cancellation cancellation = new Cancellation();
            T result;
            try (MonitorProgressListener progress = new MonitorProgressListener(new TaskRunnerFX(qupath).makeProgressMonitor(), title,
                    cancellation)) {
                result = work.apply(Muse.builder().settings(MusePreferences.settings()).cancellation(cancellation).progress(progress).build());
            } catch (CancellationException e) {
                Platform.runLater(() -> Dialogs.showInfoNotification(title, "Cancelled; nothing was changed"));
                return;
            } catch (RuntimeException | Error e) {
                Platform.runLater(() -> Dialogs.showErrorMessage(title, e));
                return;
            }
            Platform.runLater(() -> done.accept(result));
        });
    }
}
