package qupath.ext.muse;

import io.github.musequpath.engine.AnnotatedImage;
import io.github.musequpath.engine.ClassifiedPoints;
import io.github.musequpath.engine.Cancellation;
import io.github.musequpath.engine.Detection;
import io.github.musequpath.engine.DetectOptions;
import io.github.musequpath.engine.DetectionResult;
import io.github.musequpath.engine.FinetuneOptions;
import io.github.musequpath.engine.FinetuneResult;
import io.github.musequpath.engine.ModelInfo;
import io.github.musequpath.engine.MuseModel;
import io.github.musequpath.engine.NucleusClass;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.function.Supplier;

/**
 * MUSE from QuPath scripts (and the extension's menu commands, which call the same methods):
 *
 * <pre>{@code
 * def muse = qupath.ext.muse.Muse.builder().model("/models/muse-default.muse").threads(2).build()
 * muse.detect(getCurrentImageData(), getSelectedObjects())      // the selected areas; none selected = nothing
 * muse.detectWholeImage(getCurrentImageData())                  // the whole image, said explicitly
 * muse.detect(getCurrentImageData(), qupath.ext.muse.Muse.annotationsOfClass(getCurrentImageData(), "Tumor region"))
 * muse.finetune(getCurrentImageData(), getSelectedObjects(), "/models/my-lab.muse", "heads", 30)
 * }</pre>
 *
 * The builder starts from the user's MUSE preferences (native library, model, threads...) once the
 * extension is installed, so a recorded script replays in a fresh QuPath session. Detections
 * replace only MUSE's own earlier detections inside each area (or in the whole image): objects
 * named "MUSE <model>" ({@link MuseMarks}); cells, tiles, other tools' detections and the user's
 * objects are never touched. They carry the model's class names and colours and per-class
 * probabilities as measurements, and the change is one hierarchy event per run. Not
 * thread-safe: one run at a time per instance.
 */
public final class Muse {
    private static final Logger LOG = LoggerFactory.getLogger(Muse.class);

    /** Where a new builder's settings come from: the preferences once the extension is installed, else the defaults. */
    private static volatile Supplier<MuseSettings> startingSettings = MuseSettings::defaults;

    /** Called by the extension at start-up (and by tests): builders then start from `settings`. */
    static void startBuildersFrom(Supplier<MuseSettings> settings) {
        startingSettings = settings == null ? MuseSettings::defaults : settings;
    }

    /** Result of a detection or pseudo-label run, for scripts and notifications. */
    /**
     * @param nuclei   objects created (detections, or pseudo-label points)
     * @param replaced MUSE's own earlier objects this run replaced
     * @param failures unreadable tiles and the like
     * @param notes    what the user should know (points left out, nothing to do, ...)
     */
    public record Summary(int nuclei, int replaced, long tilesDone, long tilesFailed, double seconds, List<String> failures,
                          List<String> notes) {
        public Summary {
            failures = List.copyOf(failures);
            notes = List.copyOf(notes);
        }

        static final Summary EMPTY = new Summary(0, 0, 0, 0, 0, List.of(), List.of());

        /** This summary with one more run that produced `objects` objects added. */
        Summary plus(int objects, DetectionResult r) {
            List<String> all = new ArrayList<>(failures);
            all.addAll(r.failures());
            return new Summary(nuclei + objects, replaced, tilesDone + r.tilesDone(), tilesFailed + r.tilesFailed(), seconds + r.seconds(), all,
                    notes);
        }

        Summary withReplaced(int n) {
            return new Summary(nuclei, n, tilesDone, tilesFailed, seconds, failures, notes);
        }

        Summary withNote(String note) {
            if (note == null || note.isEmpty()) return this;
            List<String> all = new ArrayList<>(notes);
            all.add(note);
            return new Summary(nuclei, replaced, tilesDone, tilesFailed, seconds, failures, all);
        }
    }

    /** Result of fine-tuning: the engine's report and which of the user's points were used. */
    public record Finetuned(FinetuneResult result, AreaPoints.Selection points) { }


    private final MuseSettings settings;
    private final ProgressListener listener;
    private final Cancellation cancellation;
    private final boolean allowNewClasses;
    private final int stainFitEpochs;

    private Muse(MuseSettings settings, ProgressListener listener, Cancellation cancellation, boolean allowNewClasses,
                 int stainFitEpochs) {
        this.settings = settings;
        this.listener = listener == null ? ProgressListener.NONE : listener;
        this.cancellation = cancellation;
        this.allowNewClasses = allowNewClasses;
        this.stainFitEpochs = stainFitEpochs;
    }

    public static Builder builder() {
        return new Builder();
    }

    public MuseSettings settings() {
        return settings;
    }

    /**
     * Detects nuclei inside the area annotations among `parents` (e.g. the selection). With no
     * area among them nothing happens (a warning is logged and noted in the summary): a script
     * replayed over a project never falls back to the whole image; say {@link #detectWholeImage}.
     * Every area is detected before the hierarchy changes, so an error or Cancel leaves it as it
     * was, and the change is one hierarchy event.
     */
    public Summary detect(ImageData<BufferedImage> imageData, Collection<? extends PathObject> parents) {
        Objects.requireNonNull(imageData, "imageData");
        List<PathObject> areas = areaAnnotations(parents);
        if (areas.isEmpty()) {
            String note = "no area annotation was given (nothing selected?), so nothing was detected; "
                    + "use detectWholeImage(imageData) for the whole image";
            LOG.warn("MUSE: {}", note);
            return Summary.EMPTY.withNote(note);
        }
        return detectIn(imageData, areas);
    }

    /** Detects nuclei in the whole image, replacing MUSE's own earlier detections (only those). */
    public Summary detectWholeImage(ImageData<BufferedImage> imageData) {
        Objects.requireNonNull(imageData, "imageData");
        return detectIn(imageData, List.of());
    }

    /** The area annotations of class `className` (e.g. "Tumor" or "Region*"), for scripts. */
    public static List<PathObject> annotationsOfClass(ImageData<BufferedImage> imageData, String className) {
        Objects.requireNonNull(className, "className");
        return areaAnnotations(imageData.getHierarchy().getAnnotationObjects()).stream()
                .filter(a -> a.getPathClass() != null && className.equals(a.getPathClass().toString())).toList();
    }

    /**
     * MUSE's own earlier detections that a run in `areas` (empty = the whole image) would
     * replace, for the GUI to ask before replacing them.
     */
    public static List<PathObject> replaceableDetections(ImageData<BufferedImage> imageData, Collection<? extends PathObject> areas) {
        List<PathObject> mine = imageData.getHierarchy().getDetectionObjects().stream()
                .filter(d -> MuseMarks.isMuseDetectionName(d.getName())).toList();
        List<PathObject> areaList = areaAnnotations(areas);
        if (areaList.isEmpty()) return mine;
        List<Region> regions = areaList.stream().flatMap(a -> QuPathObjects.toRegions(a).stream()).toList();
        return mine.stream().filter(d -> {
            double[] c = QuPathObjects.centroid(d);
            return AreaPoints.inAny(regions, c[0], c[1]);
        }).toList();
    }

    private Summary detectIn(ImageData<BufferedImage> imageData, List<PathObject> areas) {
        ImageServerPixelSource source = pixelSource(imageData);
        PathObjectHierarchy hierarchy = imageData.getHierarchy();
        boolean wholeImage = areas.isEmpty();
        List<PathObject> targets = wholeImage ? List.of(hierarchy.getRootObject()) : areas;
        Map<PathObject, List<PathObject>> found = new LinkedHashMap<>();
        Summary total = Summary.EMPTY;
        Path modelFile = modelFile();
        String name = MuseMarks.detectionName(modelFile.getFileName().toString());
        try (MuseModel model = openModel(modelFile)) {
            for (int i = 0; i < targets.size(); i++) {
                List<Region> regions = wholeImage ? List.of() : QuPathObjects.toRegions(targets.get(i));
                DetectionResult r = model.detect(source, settings.detectOptions(regions), areaProgress(listener, i, targets.size()), cancellation);
                List<PathObject> objects = toObjects(r, model.info(), source.mpp(), name);
                found.put(targets.get(i), objects);
                total = total.plus(objects.size(), r);
            }
        }
        // Only MUSE's own earlier detections go: in the areas (wherever they sit in the
        // hierarchy), or in the whole image. Whole-image detections sit at the image's top level
        // (QuPath's "Resolve hierarchy" nests them under the annotations that contain them).
        List<PathObject> old = replaceableDetections(imageData, areas);
        removeFromParents(old);
        found.forEach(PathObject::addChildObjects);
        hierarchy.fireHierarchyChangedEvent(this);
        LOG.info("MUSE: {} nuclei detected with {} ({} earlier MUSE detections replaced)", total.nuclei(), modelFile, old.size());
        return total.withReplaced(old.size());
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
     * Pseudo-labels for the detections scoring at least `threshold` in a ring of `ringUm` around
     * the annotated areas among `annotations`: one Points annotation per class and area (QuPath's
     * convention), named {@value MuseMarks#PSEUDO_LABEL_NAME}, for the user to review and feed back
     * as labels. Earlier pseudo-labels of the same areas are replaced, unless the user edited them.
     */
    public Summary pseudoLabel(ImageData<BufferedImage> imageData, Collection<? extends PathObject> annotations, double ringUm,
                               double threshold) {
        Labelled labelled = annotatedImage(imageData, annotations);
        double mpp = labelled.image().source().mpp();
        List<MuseMarks.Box> zones = labelled.areas().stream()
                .map(a -> boundsOf(QuPathObjects.toRegions(a)).grownBy(mpp > 0 ? ringUm / mpp : 0)).toList();
        Path modelFile = modelFile();
        try (MuseModel model = openModel(modelFile)) {
            DetectionResult r = model.pseudoLabel(labelled.image(), ringUm, threshold, settings.detectOptions(List.of()), listener, cancellation);
            // Group by area (the first zone holding the point; -1 = none) and class.
            Map<Integer, Map<Integer, List<Double>>> groups = new LinkedHashMap<>();
            for (Detection d : r.detections()) {
                List<Double> xy = groups.computeIfAbsent(MuseMarks.zoneOf(zones, d.x(), d.y()), k -> new LinkedHashMap<>())
                        .computeIfAbsent(d.classIndex(), k -> new ArrayList<>());
                xy.add(d.x());
                xy.add(d.y());
            }
            List<PathObject> created = new ArrayList<>();
            groups.values().forEach(byClass -> byClass.forEach((cls, xy) -> {
                NucleusClass c = model.info().classOf(cls);
                double[] points = MuseMarks.asStored(xy.stream().mapToDouble(Double::doubleValue).toArray());
                created.add(QuPathObjects.pointsAnnotation(c.name(), c.packedRgb(), points, MuseMarks.PSEUDO_LABEL_NAME,
                        MuseMarks.FINGERPRINT_MEASUREMENT, MuseMarks.fingerprint(c.name(), points)));
            }));
            PathObjectHierarchy hierarchy = imageData.getHierarchy();
            List<PathObject> old = hierarchy.getAnnotationObjects().stream().filter(a -> a.getROI() != null && a.getROI().isPoint()).filter(a -> {
                double[] xy = QuPathObjects.pointsOf(a);
                String cls = a.getPathClass() == null ? null : a.getPathClass().toString();
                return MuseMarks.isUneditedPseudoLabel(a.getName(), cls, xy, QuPathObjects.measurement(a, MuseMarks.FINGERPRINT_MEASUREMENT))
                        && MuseMarks.withinOneZone(zones, xy);
            }).toList();
            hierarchy.removeObjects(old, true);
            hierarchy.addObjects(created);
            Summary s = Summary.EMPTY.plus(r.detections().size(), r).withReplaced(old.size()).withNote(labelled.points().leftOutNote());
            LOG.info("MUSE: {} pseudo-labels in {} Points annotations ({} earlier ones replaced){}", r.detections().size(), created.size(),
                    old.size(), labelled.points().leftOutNote().isEmpty() ? "" : "; " + labelled.points().leftOutNote());
            return s;
        }
    }

    private static MuseMarks.Box boundsOf(List<Region> regions) {
        double x0 = Double.POSITIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (Region r : regions) {
            MuseMarks.Box b = MuseMarks.Box.of(r.outer());
            x0 = Math.min(x0, b.minX());
            y0 = Math.min(y0, b.minY());
            x1 = Math.max(x1, b.maxX());
            y1 = Math.max(y1, b.maxY());
        }
        return new MuseMarks.Box(x0, y0, x1, y1);
    }

    /**
     * Fine-tunes the model on the area annotations among `annotations` and the classified points
     * inside them (points elsewhere, or without a class, are left out and reported); writes the
     * new model to `output` (never the base model's file).
     *
     * @param mode "heads" (fast), "decoder" or "full"
     */
    public Finetuned finetune(ImageData<BufferedImage> imageData, Collection<? extends PathObject> annotations, String output,
                              String mode, int epochs) {
        Objects.requireNonNull(output, "output");
        Labelled labelled = annotatedImage(imageData, annotations);
        if (labelled.points().used() == 0) {
            throw new IllegalArgumentException("no classified points inside the selected areas"
                    + (labelled.points().leftOutNote().isEmpty() ? "" : " (" + labelled.points().leftOutNote() + ")")
                    + ": click the nuclei inside each area with the Points tool and set their classes");
        }
        FinetuneOptions.Mode m;
        try {
            m = FinetuneOptions.Mode.valueOf(mode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mode must be heads, decoder or full, got '" + mode + "'");
        }
        Path out = Path.of(output);
        try (MuseModel model = openModel(modelFile())) {
            try {
                Files.createDirectories(out.toAbsolutePath().getParent());
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("cannot create the folder for " + out + ": " + e.getMessage(), e);
            }
            FinetuneOptions options = FinetuneOptions.builder().mode(m).epochs(epochs).allowNewClasses(allowNewClasses)
                    .stainFitEpochs(stainFitEpochs).precision(settings.precision()).build();
            FinetuneResult r = model.finetune(List.of(labelled.image()), options, out, listener, cancellation);
            LOG.info("MUSE: fine-tuned model written to {} ({} points used{})", out, labelled.points().used(),
                    labelled.points().leftOutNote().isEmpty() ? "" : "; " + labelled.points().leftOutNote());
            return new Finetuned(r, labelled.points());
        }
    }

    /**
     * The classes of the points inside the areas among `annotations` that the model lacks: the
     * GUI asks whether to add them as new classes before fine-tuning.
     */
    public List<String> classesTheModelLacks(ImageData<BufferedImage> imageData, Collection<? extends PathObject> annotations) {
        Labelled labelled = annotatedImage(imageData, annotations);
        try (MuseModel model = openModel(modelFile())) {
            return MuseMarks.missingClasses(modelClassNames(model.info()), labelled.points().inside().stream().map(ClassifiedPoints::className).toList());
        }
    }

    /** The classes (names and colours) of the model in use, to add to QuPath's class list. */
    public List<NucleusClass> modelClasses() {
        try (MuseModel model = openModel(modelFile())) {
            return model.info().classes();
        }
    }

    private static List<String> modelClassNames(ModelInfo info) {
        return info.classes().stream().map(NucleusClass::name).toList();
    }

    /** An annotated image and which of the user's points it holds. */
    private record Labelled(AnnotatedImage image, List<PathObject> areas, AreaPoints.Selection points) { }

    private Labelled annotatedImage(ImageData<BufferedImage> imageData, Collection<? extends PathObject> annotations) {
        Objects.requireNonNull(imageData, "imageData");
        List<PathObject> areas = areaAnnotations(annotations);
        if (areas.isEmpty()) {
            throw new IllegalArgumentException("select the annotated areas (rectangles or polygons with classified points inside)");
        }
        List<Region> regions = areas.stream().flatMap(a -> QuPathObjects.toRegions(a).stream()).toList();
        int[] unclassified = {0};
        var points = QuPathObjects.classifiedPoints(imageData.getHierarchy().getAnnotationObjects(), unclassified);
        AreaPoints.Selection selection = AreaPoints.select(points, unclassified[0], regions);
        if (!selection.leftOutNote().isEmpty()) LOG.warn("MUSE: {}", selection.leftOutNote());
        return new Labelled(AnnotatedImage.of(pixelSource(imageData), regions, selection.inside()), areas, selection);
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

    private List<PathObject> toObjects(DetectionResult r, ModelInfo info, double mpp, String name) {
        List<PathObject> out = new ArrayList<>(r.detections().size());
        for (Detection d : r.detections()) {
            out.add(QuPathObjects.toDetection(NucleusObjectSpec.of(d, info, mpp, settings.ellipses()), name));
        }
        return out;
    }

    private Path modelFile() {
        return settings.model() != null ? settings.model() : defaultModel();
    }

    private MuseModel openModel(Path model) {
        NativeLibrary.load(settings.nativeLibrary() != null ? settings.nativeLibrary() : MuseExtension.extensionFolder());
        NativeLibrary.setComputeThreads(settings.threads());
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

    /**
     * Script-friendly construction; every setter is optional and overrides the starting point:
     * the user's MUSE preferences once the extension is installed (so a recorded script replays
     * in a fresh session with the library and threads set there), the defaults otherwise.
     */
    public static final class Builder {
        private String model, nativeLibrary;
        private int threads, tileSize, stainFitEpochs = FinetuneOptions.DEFAULT_STAIN_FIT_EPOCHS;
        private double scoreThreshold, mergeRadius;
        private boolean ellipses, allowNewClasses;
        private DetectOptions.Precision precision = DetectOptions.Precision.AUTO;
        private ProgressListener listener;
        private Cancellation cancellation;

        private Builder() {
            settings(startingSettings.get());
        }

        public Builder model(String path) { model = path; return this; }
        public Builder model(Path path) { model = path == null ? null : path.toString(); return this; }
        /** The default model beside the extension, whatever the preferences say. */
        public Builder defaultModel() { model = null; return this; }
        public Builder nativeLibrary(String path) { nativeLibrary = path; return this; }
        public Builder threads(int n) { threads = n; return this; }
        public Builder tileSize(int px) { tileSize = px; return this; }
        public Builder scoreThreshold(double t) { scoreThreshold = t; return this; }
        public Builder mergeRadius(double um) { mergeRadius = um; return this; }
        public Builder ellipses(boolean e) { ellipses = e; return this; }
        /** "auto" (bfloat16 where the CPU has it natively), "fp32" or "bf16" (refused on CPUs without it). */
        public Builder precision(String name) {
            DetectOptions.Precision p = MuseSettings.precisionOrNull(name);
            if (p == null) throw new IllegalArgumentException("precision must be auto, fp32 or bf16, got '" + name + "'");
            precision = p;
            return this;
        }
        /** Fine-tuning: point classes the model lacks become new classes (else fine-tuning refuses them). */
        public Builder allowNewClasses(boolean a) { allowNewClasses = a; return this; }
        /**
         * Fine-tuning: first fit a correction of the lab's colours on the annotated areas for this
         * many passes (default FinetuneOptions.DEFAULT_STAIN_FIT_EPOCHS); 0 = off.
         */
        public Builder stainFitEpochs(int n) { stainFitEpochs = n; return this; }
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
            precision = s.precision();
            return this;
        }

        /** Checks every value (IllegalArgumentException naming the bad one); loads nothing yet. */
        public Muse build() {
            MuseSettings s = new MuseSettings(model == null || model.isBlank() ? null : Path.of(model),
                    nativeLibrary == null || nativeLibrary.isBlank() ? null : Path.of(nativeLibrary), threads, tileSize, scoreThreshold,
                    mergeRadius, ellipses, precision);
            return new Muse(s, listener, cancellation, allowNewClasses, stainFitEpochs);
        }
    }
}
