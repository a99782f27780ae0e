package qupath.ext.muse;

import io.github.musequpath.engine.AnnotatedImage;
import io.github.musequpath.engine.Cancellation;
import io.github.musequpath.engine.Detection;
import io.github.musequpath.engine.DetectionResult;
import io.github.musequpath.engine.FinetuneOptions;
import io.github.musequpath.engine.FinetuneResult;
import io.github.musequpath.engine.MuseModel;
import io.github.musequpath.engine.NativeLibrary;
import io.github.musequpath.engine.ProgressListener;
import io.github.musequpath.engine.Region;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import qupath.lib.images.ImageData;
import qupath.lib.objects.PathObject;
import qupath.lib.objects.hierarchy.PathObjectHierarchy;

/**
 * MUSE from QuPath scripts (and the extension's menu commands, which call the same methods):
 *
 * <pre>{@code
 * def muse = qupath.ext.muse.Muse.builder().model("/models/muse-default.muse").threads(2).build()
 * muse.detect(getCurrentImageData(), getSelectedObjects())     // [] = the whole image
 * muse.finetune(getCurrentImageData(), getSelectedObjects(), "/models/my-lab.muse", "heads", 30)
 * }</pre>
 *
 * Detections replace earlier detections inside each annotation (or in the whole image), with the
 * model's class names and colours and per-class probabilities as measurements, in one
 * hierarchy event per run. Not thread-safe: one run at a time per instance.
 */
public final class Muse {

    /** Result of a detection or pseudo-label run, for scripts and notifications. */
    public record Summary(int nuclei, long tilesDone, long tilesFailed, double seconds, List<String> failures) {
        public Summary {
            failures = List.copyOf(failures);
        }

        /** This summary with one more run that produced `objects` objects added. */
        Summary plus(int objects, DetectionResult r) {
            List<String> all = new ArrayList<>(failures);
            all.addAll(r.failures());
            return new Summary(nuclei + objects, tilesDone + r.tilesDone(), tilesFailed + r.tilesFailed(), seconds + r.seconds(), all);
        }
    }

    private final MuseSettings settings;
    private final ProgressListener listener;
    private final Cancellation cancellation;

    private Muse(MuseSettings settings, ProgressListener listener, Cancellation cancellation) {
        this.settings = settings;
        this.listener = listener == null ? ProgressListener.NONE : listener;
        this.cancellation = cancellation;
    }

    public static Builder builder() {
        return new Builder();
    }

    public MuseSettings settings() {
        return settings;
    }

    /**
     * Detects nuclei inside the area annotations among `parents`, or in the whole image when there
     * are none. Every area is detected before the hierarchy changes, so an error or Cancel leaves
     * it as it was, and the change is one hierarchy event.
     */
    public Summary detect(ImageData<BufferedImage> imageData, Collection<? extends PathObject> parents) {
        Objects.requireNonNull(imageData, "imageData");
        List<PathObject> areas = areaAnnotations(parents);
        ImageServerPixelSource source = pixelSource(imageData);
        PathObjectHierarchy hierarchy = imageData.getHierarchy();
        boolean wholeImage = areas.isEmpty();
        List<PathObject> targets = wholeImage ? List.of(hierarchy.getRootObject()) : areas;
        Map<PathObject, List<PathObject>> found = new LinkedHashMap<>();
        Summary total = new Summary(0, 0, 0, 0, List.of());
        try (MuseModel model = openModel()) {
            for (int i = 0; i < targets.size(); i++) {
                List<Region> regions = wholeImage ? List.of() : QuPathObjects.toRegions(targets.get(i));
                DetectionResult r = model.detect(source, settings.detectOptions(regions), areaProgress(listener, i, targets.size()), cancellation);
                List<PathObject> objects = toObjects(r, model, source.mpp(), false, null);
                found.put(targets.get(i), objects);
                total = total.plus(objects.size(), r);
            }
        }
        // Earlier detections go (all of them, or those of each area); other children such as
        // sub-annotations stay. Whole-image detections sit at the image's top level (QuPath's
        // "Resolve hierarchy" command nests them under the annotations that contain them).
        List<PathObject> old = new ArrayList<>();
        if (wholeImage) {
            old.addAll(hierarchy.getDetectionObjects());
        } else {
            for (PathObject area : areas) area.getChildObjects().stream().filter(PathObject::isDetection).forEach(old::add);
        }
        removeFromParents(old);
        found.forEach(PathObject::addChildObjects);
        hierarchy.fireHierarchyChangedEvent(this);
        return total;
    }

    /**
     * Progress of run `i` of `n` (one per area) reported as one run: its fraction goes from i/n
     * to (i+1)/n, and its message names the area.
     */
    static ProgressListener areaProgress(ProgressListener listener, int i, int n) {
        if (n <= 1) return listener;
        return (done, total, unit, message) -> {
            long t = Math.max(total, 1);
            String line = message == null || message.isEmpty() ? done + "/" + total + " " + unit : message;
            listener.progress(i * t + Math.min(Math.max(done, 0), t), n * t, unit, "area " + (i + 1) + "/" + n + ": " + line);
        };
    }

    /** Takes `objects` out of their parents without a hierarchy event (the caller fires one). */
    private static void removeFromParents(Collection<PathObject> objects) {
        Map<PathObject, Set<PathObject>> byParent = new LinkedHashMap<>();
        for (PathObject o : objects) {
            if (o.getParent() != null) byParent.computeIfAbsent(o.getParent(), p -> new HashSet<>()).add(o);
        }
        byParent.forEach((parent, gone) -> {
            List<PathObject> keep = parent.getChildObjects().stream().filter(c -> !gone.contains(c)).toList();
            parent.clearChildObjects();
            parent.addChildObjects(keep);
        });
    }

    /**
     * Point annotations named "MUSE pseudo-label" for the detections scoring at least
     * `threshold` in a ring of `ringUm` around the annotated areas among `annotations`, for the
     * user to review and feed back as labels.
     */
    public Summary pseudoLabel(ImageData<BufferedImage> imageData, Collection<? extends PathObject> annotations, double ringUm,
                               double threshold) {
        AnnotatedImage image = annotatedImage(imageData, annotations);
        try (MuseModel model = openModel()) {
            DetectionResult r = model.pseudoLabel(image, ringUm, threshold, settings.detectOptions(List.of()), listener, cancellation);
            List<PathObject> objects = toObjects(r, model, image.source().mpp(), true, "MUSE pseudo-label");
            imageData.getHierarchy().addObjects(objects);
            return new Summary(0, 0, 0, 0, List.of()).plus(objects.size(), r);
        }
    }

    /**
     * Fine-tunes the model on the selected area annotations and every classified point inside
     * them; writes the new model to `output` (never the base model's file).
     *
     * @param mode "heads" (fast), "decoder" or "full"
     */
    public FinetuneResult finetune(ImageData<BufferedImage> imageData, Collection<? extends PathObject> annotations, String output,
                                   String mode, int epochs) {
        Objects.requireNonNull(output, "output");
        AnnotatedImage image = annotatedImage(imageData, annotations);
        FinetuneOptions.Mode m;
        try {
            m = FinetuneOptions.Mode.valueOf(mode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mode must be heads, decoder or full, got '" + mode + "'");
        }
        Path out = Path.of(output);
        try (MuseModel model = openModel()) {
            try {
                Files.createDirectories(out.toAbsolutePath().getParent());
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("cannot create the folder for " + out + ": " + e.getMessage(), e);
            }
            return model.finetune(List.of(image), FinetuneOptions.builder().mode(m).epochs(epochs).build(), out, listener, cancellation);
        }
    }

    private AnnotatedImage annotatedImage(ImageData<BufferedImage> imageData, Collection<? extends PathObject> annotations) {
        Objects.requireNonNull(imageData, "imageData");
        List<PathObject> areas = areaAnnotations(annotations);
        if (areas.isEmpty()) {
            throw new IllegalArgumentException("select the annotated areas (rectangles or polygons with classified points inside)");
        }
        List<Region> regions = areas.stream().flatMap(a -> QuPathObjects.toRegions(a).stream()).toList();
        int[] unclassified = {0};
        var points = QuPathObjects.classifiedPoints(imageData.getHierarchy().getAnnotationObjects(), unclassified);
        if (unclassified[0] > 0) {
            throw new IllegalArgumentException(unclassified[0] + " point(s) have no class: set the class of every Points annotation");
        }
        return AnnotatedImage.of(pixelSource(imageData), regions, points);
    }

    private static List<PathObject> areaAnnotations(Collection<? extends PathObject> objects) {
        List<PathObject> out = new ArrayList<>();
        if (objects == null) return out;
        for (PathObject o : objects) {
            if (o != null && o.isAnnotation() && o.getROI() != null && o.getROI().isArea()) out.add(o);
        }
        return out;
    }

    private static ImageServerPixelSource pixelSource(ImageData<BufferedImage> imageData) {
        if (!imageData.getServer().isRGB()) {
            throw new IllegalArgumentException("MUSE needs an RGB brightfield (H&E) image; " + imageData.getServer().getPath() + " is not RGB");
        }
        return new ImageServerPixelSource(imageData.getServer());
    }

    private List<PathObject> toObjects(DetectionResult r, MuseModel model, double mpp, boolean annotations, String name) {
        List<PathObject> out = new ArrayList<>(r.detections().size());
        for (Detection d : r.detections()) {
            out.add(QuPathObjects.toPathObject(NucleusObjectSpec.of(d, model.info(), mpp, settings.ellipses()), annotations, name));
        }
        return out;
    }

    private MuseModel openModel() {
        NativeLibrary.load(settings.nativeLibrary() != null ? settings.nativeLibrary() : MuseExtension.extensionFolder());
        NativeLibrary.retainFreedMemory();
        NativeLibrary.setComputeThreads(settings.threads());
        Path model = settings.model() != null ? settings.model() : defaultModel();
        return MuseModel.load(model);
    }

    /** The default model installed beside the extension (README: installing the extension). */
    static Path defaultModel() {
        Path folder = MuseExtension.extensionFolder();
        Path p = folder == null ? null : folder.resolve("muse-default.muse");
        if (p == null || !Files.isRegularFile(p)) {
            throw new IllegalArgumentException("no model file is set and muse-default.muse was not found beside the extension"
                    + (folder == null ? "" : " (" + folder + ")") + ": set one in Edit > Preferences > MUSE > Model file");
        }
        return p;
    }

    /** Script-friendly construction; every setter is optional. */
    public static final class Builder {
        private String model, nativeLibrary;
        private int threads = 0, tileSize = MuseSettings.DEFAULT_TILE_PX;
        private double scoreThreshold = 0, mergeRadius = 0;
        private boolean ellipses;
        private ProgressListener listener;
        private Cancellation cancellation;

        public Builder model(String path) { model = path; return this; }
        public Builder model(Path path) { model = path == null ? null : path.toString(); return this; }
        public Builder nativeLibrary(String path) { nativeLibrary = path; return this; }
        public Builder threads(int n) { threads = n; return this; }
        public Builder tileSize(int px) { tileSize = px; return this; }
        public Builder scoreThreshold(double t) { scoreThreshold = t; return this; }
        public Builder mergeRadius(double um) { mergeRadius = um; return this; }
        public Builder ellipses(boolean e) { ellipses = e; return this; }
        public Builder progress(ProgressListener l) { listener = l; return this; }
        public Builder cancellation(Cancellation c) { cancellation = c; return this; }

        /** Starts from saved settings (the preferences). */
        public Builder settings(MuseSettings s) {
            model = s.model() == null ? null : s.model().toString();
            nativeLibrary = s.nativeLibrary() == null ? null : s.nativeLibrary().toString();
            threads = s.threads();
            tileSize = s.tilePx();
            scoreThreshold = s.scoreThreshold();
            mergeRadius = s.mergeRadiusUm();
            ellipses = s.ellipses();
            return this;
        }

        /** Checks every value (IllegalArgumentException naming the bad one); loads nothing yet. */
        public Muse build() {
            MuseSettings s = new MuseSettings(model == null || model.isBlank() ? null : Path.of(model),
                    nativeLibrary == null || nativeLibrary.isBlank() ? null : Path.of(nativeLibrary), threads, tileSize, scoreThreshold,
                    mergeRadius, ellipses);
            return new Muse(s, listener, cancellation);
        }
    }
}
