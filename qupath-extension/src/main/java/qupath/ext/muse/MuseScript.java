package qupath.ext.muse;

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

    /** The builder call that recreates `settings`. */
    public static String builder(MuseSettings s) {
        StringBuilder b = new StringBuilder("qupath.ext.muse.Muse.builder()");
        if (s.model() != null) b.append(".model(").append(quote(s.model().toString())).append(")");
        if (s.threads() > 0) b.append(".threads(").append(s.threads()).append(")");
        if (s.tilePx() != MuseSettings.DEFAULT_TILE_PX) b.append(".tileSize(").append(s.tilePx()).append(")");
        if (s.scoreThreshold() > 0) b.append(".scoreThreshold(").append(s.scoreThreshold()).append(")");
        if (s.mergeRadiusUm() > 0) b.append(".mergeRadius(").append(s.mergeRadiusUm()).append(")");
        if (s.ellipses()) b.append(".ellipses(true)");
        return b.append(".build()").toString();
    }

    /** Detection in the selected annotations (or the whole image when none is selected). */
    public static String detect(MuseSettings s, boolean selectedAnnotations) {
        return builder(s) + ".detect(getCurrentImageData(), " + (selectedAnnotations ? "getSelectedObjects()" : "[]") + ")";
    }

    /** Pseudo-labels around the selected annotations. */
    public static String pseudoLabel(MuseSettings s, double ringUm, double threshold) {
        return builder(s) + ".pseudoLabel(getCurrentImageData(), getSelectedObjects(), " + ringUm + ", " + threshold + ")";
    }

    /** Fine-tuning on the selected annotations. */
    public static String finetune(MuseSettings s, Path output, String mode, int epochs) {
        return builder(s) + ".finetune(getCurrentImageData(), getSelectedObjects(), " + quote(output.toString()) + ", "
                + quote(mode) + ", " + epochs + ")";
    }
}
