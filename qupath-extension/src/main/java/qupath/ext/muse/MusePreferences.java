package qupath.ext.muse;

import java.nio.file.Path;
import java.util.List;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.StringProperty;
import qupath.fx.prefs.controlsfx.PropertyItemBuilder;
import qupath.lib.gui.QuPathGUI;
import qupath.lib.gui.prefs.PathPrefs;

/** MUSE's persistent preferences, shown in QuPath's preference pane under "MUSE". */
final class MusePreferences {
    private static final String CATEGORY = "MUSE";

    private static final StringProperty MODEL = PathPrefs.createPersistentPreference("muse.model.path", "");
    private static final StringProperty NATIVE_LIBRARY = PathPrefs.createPersistentPreference("muse.native.library", "");
    private static final IntegerProperty THREADS = PathPrefs.createPersistentPreference("muse.num.threads", 0);
    private static final IntegerProperty TILE_SIZE = PathPrefs.createPersistentPreference("muse.tile.size", MuseSettings.DEFAULT_TILE_PX);
    private static final DoubleProperty SCORE_THRESHOLD = PathPrefs.createPersistentPreference("muse.score.threshold", 0.0);
    private static final DoubleProperty MERGE_RADIUS = PathPrefs.createPersistentPreference("muse.merge.radius.um", 0.0);
    private static final BooleanProperty ELLIPSES = PathPrefs.createPersistentPreference("muse.ellipses", false);
    private static final StringProperty PRECISION = PathPrefs.createPersistentPreference("muse.precision", "auto");
    private static final DoubleProperty RING_UM = PathPrefs.createPersistentPreference("muse.pseudolabel.ring.um", 50.0);
    private static final DoubleProperty RING_THRESHOLD = PathPrefs.createPersistentPreference("muse.pseudolabel.threshold", 0.9);
    /** The "Detect nuclei" dialog's last choice of areas (a DetectChoices.Scope name) and class. */
    private static final StringProperty DETECT_SCOPE = PathPrefs.createPersistentPreference("muse.detect.scope", "SELECTED");
    private static final StringProperty DETECT_AREA_CLASS = PathPrefs.createPersistentPreference("muse.detect.area.class", "");

    private MusePreferences() { }

    static void install(QuPathGUI qupath) {
        var items = qupath.getPreferencePane().getPropertySheet().getItems();
        items.add(new PropertyItemBuilder<>(MODEL, String.class).name("Model file").category(CATEGORY)
                .description("A .muse model file; empty = muse-default.muse beside the extension").build());
        items.add(new PropertyItemBuilder<>(NATIVE_LIBRARY, String.class).name("Native library").category(CATEGORY)
                .description("libmuse_jni.so (or its folder); empty = beside the extension, then -Dmuse.native.library, "
                        + "MUSE_NATIVE_LIBRARY, java.library.path").build());
        items.add(new PropertyItemBuilder<>(THREADS, Integer.class).name("Threads").category(CATEGORY)
                .description("CPU threads for the model; 0 = one per core").build());
        items.add(new PropertyItemBuilder<>(TILE_SIZE, Integer.class).name("Tile size (px)").category(CATEGORY)
                .description("Tile side at the model's resolution, a multiple of 32 (512 is a good default)").build());
        items.add(new PropertyItemBuilder<>(SCORE_THRESHOLD, Double.class).name("Score threshold").category(CATEGORY)
                .description("Keep nuclei at least this likely; 0 = the model's own threshold").build());
        items.add(new PropertyItemBuilder<>(MERGE_RADIUS, Double.class).name("Merge radius (um)").category(CATEGORY)
                .description("Of two nuclei closer than this, keep the more likely; 0 = the model's own").build());
        items.add(new PropertyItemBuilder<>(ELLIPSES, Boolean.class).name("Draw nuclei as ellipses").category(CATEGORY)
                .description("Small ellipses (3 um radius) instead of points").build());
        items.add(new PropertyItemBuilder<>(PRECISION, String.class).name("Precision").category(CATEGORY)
                .choices(List.of("auto", "fp32", "bf16"))
                .description("Detection and fine-tuning. auto: bfloat16 where the CPU has it natively (AVX512-BF16, AMX), "
                        + "about 1.2-2x faster, detections within a pixel of float32's, fine-tuned models as accurate; "
                        + "fp32: float32 everywhere; bf16: refused on CPUs without it").build());
        items.add(new PropertyItemBuilder<>(RING_UM, Double.class).name("Pseudo-label ring (um)").category(CATEGORY)
                .description("Width of the area around annotated regions where pseudo-labels are proposed").build());
        items.add(new PropertyItemBuilder<>(RING_THRESHOLD, Double.class).name("Pseudo-label confidence").category(CATEGORY)
                .description("Score a pseudo-label needs (0.9 as in the MUSE paper)").build());
    }

    static MuseSettings settings() {
        return MuseSettings.fromPreferences(MODEL.get(), NATIVE_LIBRARY.get(), THREADS.get(), TILE_SIZE.get(), SCORE_THRESHOLD.get(),
                MERGE_RADIUS.get(), ELLIPSES.get(), PRECISION.get());
    }

    static void setModel(Path model) {
        MODEL.set(model.toString());
    }

    /** What the "Detect nuclei" dialog opens with: the saved settings and the last areas chosen. */
    static DetectChoices detectChoices() {
        return DetectChoices.from(settings(), DetectChoices.Scope.fromName(DETECT_SCOPE.get()), DETECT_AREA_CLASS.get());
    }

    /** Remembers the dialog's choices: they become the preferences every later run starts from. */
    static void remember(DetectChoices c) {
        MODEL.set(c.model() == null ? "" : c.model().toString());
        THREADS.set(c.threads());
        SCORE_THRESHOLD.set(c.scoreThreshold());
        ELLIPSES.set(c.ellipses());
        DETECT_SCOPE.set(c.scope().name());
        if (c.areaClass() != null) DETECT_AREA_CLASS.set(c.areaClass());
    }

    static double pseudoLabelRingUm() {
        double v = RING_UM.get();
        return v > 0 ? v : 50.0;
    }

    static double pseudoLabelThreshold() {
        double v = RING_THRESHOLD.get();
        return v > 0 && v < 1 ? v : 0.9;  // the engine's range for a score threshold
    }
}
