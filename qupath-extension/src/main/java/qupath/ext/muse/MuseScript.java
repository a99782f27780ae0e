package qupath.ext.muse;

import io.github.musequpath.engine.FinetuneOptions;
import java.nio.file.Path;

/**
 * The Groovy lines that replay a run from QuPath's workflow history (and that the script
 * editor accepts as typed). Plain strings, so they are tested without QuPath.
 */
public final class MuseScript {
    private MuseScript() { }

    /** A Groovy/Java string literal. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '$' -> b.append("\\$");  // Groovy would interpolate it
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /**
     * The builder call that recreates `settings`: every value that shapes the result is written
     * out (builders start from the preferences of the session that replays the line, which may
     * differ); only where the machine's native library lies, and threads left at "one per core",
     * come from that session.
     */
    public static String builder(MuseSettings s) {
        StringBuilder b = new StringBuilder("qupath.ext.muse.Muse.builder()");
        if (s.model() != null) b.append(".model(").append(quote(s.model().toString())).append(")");
        else b.append(".defaultModel()");
        if (s.threads() > 0) b.append(".threads(").append(s.threads()).append(")");
        b.append(".tileSize(").append(s.tilePx()).append(")");
        b.append(".scoreThreshold(").append(s.scoreThreshold()).append(")");
        b.append(".mergeRadius(").append(s.mergeRadiusUm()).append(")");
        b.append(".ellipses(").append(s.ellipses()).append(")");
        b.append(".precision(").append(quote(s.precision().name().toLowerCase(java.util.Locale.ROOT))).append(")");
        return b.append(".build()").toString();
    }

    /**
     * Detection in the selected annotations, in the annotations of one class, or explicitly in the
     * whole image: a replay with no selection (Run for project) then does nothing rather than
     * detect everywhere.
     */
    public static String detect(MuseSettings s, DetectChoices.Scope scope, String areaClass) {
        String b = builder(s);
        return switch (scope) {
            case SELECTED -> b + ".detect(getCurrentImageData(), getSelectedObjects())";
            case CLASS -> b + ".detect(getCurrentImageData(), qupath.ext.muse.Muse.annotationsOfClass(getCurrentImageData(), "
                    + quote(areaClass) + "))";
            case WHOLE_IMAGE -> b + ".detectWholeImage(getCurrentImageData())";
        };
    }

    /** Pseudo-labels around the selected annotations. */
    public static String pseudoLabel(MuseSettings s, double ringUm, double threshold) {
        return builder(s) + ".pseudoLabel(getCurrentImageData(), getSelectedObjects(), " + ringUm + ", " + threshold + ")";
    }

    /** Fine-tuning on the selected annotations. */
    public static String finetune(MuseSettings s, Path output, String mode, int epochs) {
        return finetune(s, output, mode, epochs, false);
    }

    /** Fine-tuning on the selected annotations, with point classes the model lacks added as new classes if `newClasses`. */
    public static String finetune(MuseSettings s, Path output, String mode, int epochs, boolean newClasses) {
        String b = builder(s);
        // The colour fit's passes are written out: the script replays this run whatever a later
        // version's default.
        String extra = (newClasses ? ".allowNewClasses(true)" : "") + ".stainFitEpochs(" + FinetuneOptions.DEFAULT_STAIN_FIT_EPOCHS + ")";
        b = b.substring(0, b.length() - ".build()".length()) + extra + ".build()";
        return b + ".finetune(getCurrentImageData(), getSelectedObjects(), " + quote(output.toString()) + ", "
                + quote(mode) + ", " + epochs + ")";
    }
}
