package qupath.ext.muse;

import io.github.musequpath.engine.Cancellation;
import io.github.musequpath.engine.FinetuneResult;
import io.github.musequpath.engine.NativeLibrary;
import io.github.musequpath.engine.NucleusClass;
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
import qupath.lib.objects.classes.PathClass;
import qupath.lib.plugins.SimpleProgressMonitor;
import qupath.lib.plugins.workflow.DefaultScriptableWorkflowStep;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The menu commands: each reads the current image and selection on the FX thread, runs the
 * engine on a worker thread with a progress display and Cancel (QuPath's progress dialog for
 * detection; a window that leaves QuPath usable for fine-tuning, which takes minutes), then
 * reports, records a replayable workflow step, and never blocks the FX thread. Errors reach QuPath's log with their
 * stack trace as well as a dialog.
 */
final class MuseCommands {
    private static final Logger LOG = LoggerFactory.getLogger(MuseCommands.class);
    private final QuPathGUI qupath;
    /** Long runs (detection, fine-tuning), one at a time. */
    private final ExecutorService worker = daemonThread("muse-worker");
    /** Short work that must not wait behind a long run nor run on the FX thread: counting, loading, exporting. */
    private final ExecutorService shortWork = daemonThread("muse-short-work");
    /** The title of the long run in progress, if any (runs queue on `worker`). */
    private final java.util.concurrent.atomic.AtomicReference<String> running = new java.util.concurrent.atomic.AtomicReference<>();

    private static ExecutorService daemonThread(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    MuseCommands(QuPathGUI qupath) {
        this.qupath = qupath;
    }

    void detect() {
        ImageData<BufferedImage> imageData = currentImage();
        if (imageData == null) return;
        List<PathObject> selected = new ArrayList<>(imageData.getHierarchy().getSelectionModel().getSelectedObjects());
        List<PathObject> selectedAreas = selected.stream().filter(o -> o.isAnnotation() && o.getROI() != null && o.getROI().isArea()).toList();
        List<String> areaClasses = imageData.getHierarchy().getAnnotationObjects().stream()
                .filter(o -> o.getROI() != null && o.getROI().isArea() && o.getPathClass() != null)
                .map(o -> o.getPathClass().toString()).distinct().sorted().toList();
        DetectChoices initial = MusePreferences.detectChoices();
        if (initial.scope() == DetectChoices.Scope.SELECTED && selectedAreas.isEmpty()) {
            initial = new DetectChoices(initial.model(), initial.threads(), initial.scoreThreshold(), initial.ellipses(),
                    DetectChoices.Scope.WHOLE_IMAGE, null);  // nothing selected: offer the whole image, still asked
        }
        var chosen = DetectDialog.show(qupath.getStage(), initial, areaClasses, selectedAreas.size());
        if (chosen.isEmpty()) return;
        DetectChoices c = chosen.get();
        MusePreferences.remember(c);
        List<PathObject> areas = switch (c.scope()) {
            case SELECTED -> selectedAreas;
            case CLASS -> Muse.annotationsOfClass(imageData, c.areaClass());
            case WHOLE_IMAGE -> List.of();
        };
        if (c.scope() != DetectChoices.Scope.WHOLE_IMAGE && areas.isEmpty()) {
            Dialogs.showErrorMessage("MUSE", c.scope() == DetectChoices.Scope.SELECTED ? "No area annotation is selected"
                    : "There is no area annotation of class '" + c.areaClass() + "'");
            return;
        }
        MuseSettings s = MusePreferences.settings();
        // Counting MUSE's earlier detections scans every detection: off the FX thread, then ask.
        inBackground("MUSE", () -> Muse.replaceableDetections(imageData, areas).size(), replaced -> {
            String where = switch (c.scope()) {
                case SELECTED -> "the " + areas.size() + " selected area" + (areas.size() == 1 ? "" : "s");
                case CLASS -> "the " + areas.size() + " area" + (areas.size() == 1 ? "" : "s") + " of class '" + c.areaClass() + "'";
                case WHOLE_IMAGE -> "the whole image";
            };
            if (replaced > 0 && !Dialogs.showYesNoDialog("MUSE", "Detect nuclei in " + where + "?\n" + replaced
                    + " earlier MUSE detections there will be replaced (other objects are kept).")) {
                return;
            }
            run("MUSE: detecting nuclei", builder -> {
                Muse muse = builder.build();
                Muse.Summary summary = c.scope() == DetectChoices.Scope.WHOLE_IMAGE ? muse.detectWholeImage(imageData) : muse.detect(imageData, areas);
                return new Detected(summary, muse.modelClasses());
            }, done -> {
                addToClassList(done.classes());
                imageData.getHistoryWorkflow().addStep(new DefaultScriptableWorkflowStep("MUSE detect nuclei", c.script(s)));
                Muse.Summary summary = done.summary();
                Dialogs.showInfoNotification("MUSE", summary.nuclei() + " nuclei in " + where + ", " + summary.tilesDone() + " tiles ("
                        + String.format("%.1f", summary.seconds()) + " s)" + (summary.replaced() > 0 ? ", " + summary.replaced() + " replaced" : "")
                        + failedNote(summary));
            });
        });
    }

    private record Detected(Muse.Summary summary, List<NucleusClass> classes) { }

    /** Adds the model's classes, in its colours, to QuPath's class list (keeping the user's), so they can be picked and annotated. */
    private void addToClassList(List<NucleusClass> classes) {
        var available = qupath.getAvailablePathClasses();
        List<String> names = available.stream().filter(c -> c != null).map(PathClass::toString).toList();
        List<String> missing = MuseMarks.missingClasses(names, classes.stream().map(NucleusClass::name).toList());
        for (NucleusClass c : classes) {
            if (missing.contains(c.name())) available.add(PathClass.fromString(c.name(), c.packedRgb()));
        }
    }

    void pseudoLabel() {
        ImageData<BufferedImage> imageData = currentImage();
        if (imageData == null) return;
        List<PathObject> selected = new ArrayList<>(imageData.getHierarchy().getSelectionModel().getSelectedObjects());
        MuseSettings s = MusePreferences.settings();
        double ring = MusePreferences.pseudoLabelRingUm(), threshold = MusePreferences.pseudoLabelThreshold();
        run("MUSE: pseudo-labels", builder -> builder.build().pseudoLabel(imageData, selected, ring, threshold), summary -> {
            imageData.getHistoryWorkflow().addStep(new DefaultScriptableWorkflowStep("MUSE pseudo-labels", MuseScript.pseudoLabel(s, ring, threshold)));
            Dialogs.showInfoNotification("MUSE", summary.nuclei() + " pseudo-labels to review (named '" + MuseMarks.PSEUDO_LABEL_NAME + "')"
                    + (summary.replaced() > 0 ? ", " + summary.replaced() + " earlier ones replaced" : "")
                    + (summary.notes().isEmpty() ? "" : "; " + String.join("; ", summary.notes())));
        });
    }

    void finetune() {
        ImageData<BufferedImage> imageData = currentImage();
        if (imageData == null) return;
        List<PathObject> selected = new ArrayList<>(imageData.getHierarchy().getSelectionModel().getSelectedObjects());
        ChoiceDialog<String> modeDialog = new ChoiceDialog<>("heads", "heads", "decoder", "full");
        modeDialog.setTitle("MUSE fine-tuning");
        modeDialog.setHeaderText("What to train: heads (under a minute), decoder, or full (minutes on a CPU)");
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
        // Which point classes the model lacks (loads the model: off the FX thread), then ask, then run.
        inBackground("MUSE fine-tuning", () -> Muse.builder().settings(s).build().classesTheModelLacks(imageData, selected), lacking -> {
            boolean newClasses = !lacking.isEmpty();
            if (newClasses && !Dialogs.showYesNoDialog("MUSE", "The model has no class " + String.join(", ", lacking) + ".\nAdd "
                    + (lacking.size() == 1 ? "it" : "them") + " to the model as new classes? (No: nothing is fine-tuned.)")) {
                return;
            }
            startFinetune(imageData, selected, output, mode.get(), epochs, newClasses, s);
        });
    }

    private void startFinetune(ImageData<BufferedImage> imageData, List<PathObject> selected, Path output, String mode, int epochs,
                               boolean newClasses, MuseSettings s) {
        // Minutes of work: a window that does not block QuPath, with Cancel.
        runWith(new ProgressWindow(qupath.getStage()), "MUSE: fine-tuning",
                builder -> builder.allowNewClasses(newClasses).build()
                        .finetune(imageData, selected, output.toString(), mode, epochs),
                (Muse.Finetuned done) -> {
            FinetuneResult r = done.result();
            imageData.getHistoryWorkflow().addStep(new DefaultScriptableWorkflowStep("MUSE fine-tune",
                    MuseScript.finetune(s, output, mode, epochs, newClasses)));
            var last = r.history().get(r.history().size() - 1);
            String leftOut = done.points().leftOutNote();
            if (Dialogs.showYesNoDialog("MUSE", "Saved " + output + "\n" + r.regions() + " regions, " + r.nuclei() + " nuclei, final loss "
                    + String.format("%.4f", last.loss())
                    + adaptationNote(r)
                    + (leftOut.isEmpty() ? "" : "\n(" + leftOut + ")")
                    + ".\nUse this model from now on and detect again?")) {
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
        List<PathObject> objects = new ArrayList<>(detections);
        Path target = file.toPath();
        shortWork.submit(() -> {
            try {
                // QuPath's own writer: the file re-imports exactly; temp file then rename, so a failure leaves nothing half-written.
                Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), ".muse-export", ".geojson");
                try {
                    PathIO.exportObjectsAsGeoJSON(tmp, objects, PathIO.GeoJsonExportOptions.FEATURE_COLLECTION);
                    Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(tmp);
                }
                Platform.runLater(() -> Dialogs.showInfoNotification("MUSE", objects.size() + " detections written to " + target));
            } catch (Exception e) {
                LOG.error("MUSE: exporting detections to {} failed", target, e);
                Platform.runLater(() -> Dialogs.showErrorMessage("MUSE export", e));
            }
        });
    }

    void settings() {
        MuseSettings s = MusePreferences.settings();
        // Loading the native library takes a moment: off the FX thread, then the dialog on it.
        shortWork.submit(() -> {
            String library;
            try {
                NativeLibrary.load(s.nativeLibrary() != null ? s.nativeLibrary() : MuseExtension.extensionFolder());
                library = "engine " + NativeLibrary.version() + " loaded from " + NativeLibrary.loadedFrom();
            } catch (RuntimeException | LinkageError e) {
                LOG.warn("MUSE: the native library could not be loaded", e);
                library = e.getMessage();
            }
            String text = library;
            Platform.runLater(() -> showSettings(s, text));
        });
    }

    private void showSettings(MuseSettings s, String library) {
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

    /** What the label-free first step of a fine-tuning did, for its final dialog. */
    private static String adaptationNote(FinetuneResult r) {
        if (r.adaptedTiles() > 0) {
            return String.format("\nAdapted to this image's stain first (%d tissue tiles, share %.1f%s)", r.adaptedTiles(),
                    r.adaptWeight(), r.adaptWeightChosen() ? ", the one that fits your annotations best" : "");
        }
        if (r.adaptWeightChosen()) return "\nKept the model's own stain statistics: they fit your annotations best";
        return "\nNot adapted to this image's stain first (too little tissue, or a model without BatchNorm)";
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
    private <T> void run(String title, Function<Muse.Builder, T> work, Done<T> done) {
        runWith(null, title, work, done);
    }

    /**
     * As run, with `monitor` showing the progress (null: QuPath's own progress dialog, made on the
     * worker thread). Runs queue one behind the other: the user is told when one has to wait.
     */
    private <T> void runWith(SimpleProgressMonitor monitor, String title, Function<Muse.Builder, T> work, Done<T> done) {
        String waitingFor = running.get();
        if (waitingFor != null) Dialogs.showInfoNotification(title, "Starts when '" + waitingFor + "' has finished");
        worker.submit(() -> {
            running.set(title);
            Cancellation cancellation = new Cancellation();
            T result;
            try (MonitorProgressListener progress = new MonitorProgressListener(
                    monitor != null ? monitor : new TaskRunnerFX(qupath).makeProgressMonitor(), title, cancellation)) {
                result = work.apply(Muse.builder().settings(MusePreferences.settings()).cancellation(cancellation).progress(progress));
            } catch (CancellationException e) {
                LOG.info("{}: cancelled", title);
                Platform.runLater(() -> Dialogs.showInfoNotification(title, "Cancelled; nothing was changed"));
                return;
            } catch (RuntimeException | Error e) {
                LOG.error("{} failed", title, e);
                Platform.runLater(() -> Dialogs.showErrorMessage(title, e));
                return;
            } finally {
                running.set(null);
            }
            Platform.runLater(() -> done.accept(result));
        });
    }

    /**
     * Runs short `work` off the FX thread, then `then` on it with the result; an error is logged
     * and shown instead.
     */
    private <T> void inBackground(String title, java.util.concurrent.Callable<T> work, Done<T> then) {
        shortWork.submit(() -> {
            try {
                T result = work.call();
                Platform.runLater(() -> then.accept(result));
            } catch (Exception | Error e) {
                LOG.error("{} failed", title, e);
                Platform.runLater(() -> Dialogs.showErrorMessage(title, e));
            }
        });
    }
}
