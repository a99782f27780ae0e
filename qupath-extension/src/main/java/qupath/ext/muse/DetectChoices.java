package qupath.ext.muse;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the "Detect nuclei" dialog asks (model, threads, score threshold, geometry, which areas)
 * as plain values: parsed from the dialog's text with errors a user understands, applied to the
 * settings, remembered in the preferences and written as the replayable script line. No JavaFX or
 * QuPath types, so all of it is unit-tested.
 *
 * @param model          a model file, or null for the bundled default model
 * @param threads        CPU threads (0 = one per core)
 * @param scoreThreshold 0 = the model's own
 * @param ellipses       nuclei as small ellipses instead of points
 * @param scope          where to detect
 * @param areaClass      with {@link Scope#CLASS}: the class of the area annotations to detect in
 */
public record DetectChoices(Path model, int threads, double scoreThreshold, boolean ellipses, Scope scope, String areaClass) {

    /** Where to detect. */
    public enum Scope {
        /** the selected area annotations */
        SELECTED("Selected annotations"),
        /** every area annotation of one class (e.g. "Tumor region"): what a project-wide script wants */
        CLASS("Annotations of class"),
        /** the whole image */
        WHOLE_IMAGE("Whole image");

        private final String label;

        Scope(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** The scope a preference names; an unknown or empty name gives SELECTED. */
        public static Scope fromName(String name) {
            for (Scope s : values()) {
                if (s.name().equals(name)) return s;
            }
            return SELECTED;
        }
    }

    public DetectChoices {
        if (scope == null) throw new IllegalArgumentException("choose where to detect");
        if (threads < 0) throw new IllegalArgumentException("threads must be 0 (one per core) or more, got " + threads);
        if (!(scoreThreshold >= 0 && scoreThreshold < 1)) {
            throw new IllegalArgumentException("the score threshold must be at least 0 and below 1 (0 = the model's), got " + scoreThreshold);
        }
        if (scope == Scope.CLASS && (areaClass == null || areaClass.isBlank())) {
            throw new IllegalArgumentException("choose the class of the annotations to detect in");
        }
        areaClass = scope == Scope.CLASS ? areaClass.strip() : null;
    }

    /** The choices the dialog opens with: the saved settings and the remembered scope. */
    public static DetectChoices from(MuseSettings s, Scope scope, String areaClass) {
        Scope sc = scope == Scope.CLASS && (areaClass == null || areaClass.isBlank()) ? Scope.SELECTED : scope;
        return new DetectChoices(s.model(), s.threads(), s.scoreThreshold(), s.ellipses(), sc, areaClass);
    }

    /**
     * Parses the dialog's fields. `modelFile` is used unless `bundledModel`; it must exist.
     * Throws IllegalArgumentException with a message for the user.
     */
    public static DetectChoices parse(boolean bundledModel, String modelFile, String threads, String scoreThreshold, boolean ellipses,
                                      Scope scope, String areaClass) {
        Path model = null;
        if (!bundledModel) {
            if (modelFile == null || modelFile.isBlank()) throw new IllegalArgumentException("choose a model file, or the bundled model");
            model = Path.of(modelFile.strip());
            if (!Files.isRegularFile(model)) throw new IllegalArgumentException("the model file " + model + " does not exist");
        }
        int n;
        try {
            n = threads == null || threads.isBlank() ? 0 : Integer.parseInt(threads.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("threads must be a whole number (0 = one per core), got '" + threads + "'");
        }
        double t;
        try {
            t = scoreThreshold == null || scoreThreshold.isBlank() ? 0 : Double.parseDouble(scoreThreshold.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the score threshold must be a number such as 0.5 (0 = the model's), got '" + scoreThreshold + "'");
        }
        return new DetectChoices(model, n, t, ellipses, scope, areaClass);
    }

    /** `s` with these choices (tile size, merge radius, precision and native library stay). */
    public MuseSettings applyTo(MuseSettings s) {
        return new MuseSettings(model, s.nativeLibrary(), threads, s.tilePx(), scoreThreshold, s.mergeRadiusUm(), ellipses, s.precision());
    }

    /** The Groovy line that replays this detection (with the settings it ran with). */
    public String script(MuseSettings s) {
        return MuseScript.detect(applyTo(s), scope, areaClass);
    }
}
