package qupath.ext.muse;

import io.github.musequpath.engine.DetectOptions;
import io.github.musequpath.engine.Region;
import java.nio.file.Path;
import java.util.List;

/**
 * The user's MUSE settings as plain values (what the preferences hold), and how they map onto
 * the engine's options. No QuPath types, so the mapping is unit-tested without QuPath.
 *
 * @param model          model file; null = the bundled default model
 * @param nativeLibrary  libmuse_jni file or folder; null = search the usual places
 * @param threads        CPU threads for the model (0 = one per core)
 * @param tilePx         tile side at the model's resolution (multiple of 32, 64..4096)
 * @param scoreThreshold 0 = the model's own
 * @param mergeRadiusUm  duplicate-suppression radius, um; 0 = the model's own
 * @param ellipses       nuclei as small ellipses instead of points
 * @param precision      the network's arithmetic: AUTO = bfloat16 where the CPU has it natively, else float32
 */
public record MuseSettings(Path model, Path nativeLibrary, int threads, int tilePx, double scoreThreshold, double mergeRadiusUm,
                           boolean ellipses, DetectOptions.Precision precision) {

    public static final int DEFAULT_TILE_PX = 512;

    public MuseSettings {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0 = one per core), got " + threads);
        if (tilePx < 64 || tilePx > 4096 || tilePx % 32 != 0) {
            throw new IllegalArgumentException("the tile size must be a multiple of 32 between 64 and 4096 px, got " + tilePx);
        }
        if (!(scoreThreshold >= 0 && scoreThreshold < 1)) {
            throw new IllegalArgumentException("the score threshold must be in [0, 1) (0 = the model's), got " + scoreThreshold);
        }
        if (!(mergeRadiusUm >= 0 && mergeRadiusUm <= 50)) {
            throw new IllegalArgumentException("the merge radius must be in 0..50 um (0 = the model's), got " + mergeRadiusUm);
        }
        if (precision == null) throw new IllegalArgumentException("the precision must be given (AUTO, FP32 or BF16)");
    }

    /** Settings with the AUTO precision. */
    public MuseSettings(Path model, Path nativeLibrary, int threads, int tilePx, double scoreThreshold, double mergeRadiusUm,
                        boolean ellipses) {
        this(model, nativeLibrary, threads, tilePx, scoreThreshold, mergeRadiusUm, ellipses, DetectOptions.Precision.AUTO);
    }

    public static MuseSettings defaults() {
        return new MuseSettings(null, null, 0, DEFAULT_TILE_PX, 0, 0, false);
    }

    /**
     * Settings from the preferences' raw values, as QuPath stores them: blank paths mean "none",
     * a tile size that is not a multiple of 32 is rounded to the nearest one, and values out of
     * range (an unknown precision included) fall back to the defaults rather than breaking every run.
     */
    public static MuseSettings fromPreferences(String model, String nativeLibrary, int threads, int tilePx, double scoreThreshold,
                                               double mergeRadiusUm, boolean ellipses, String precision) {
        int tile = Math.max(64, Math.min(4096, Math.round(tilePx / 32.0f) * 32));
        return new MuseSettings(pathOrNull(model), pathOrNull(nativeLibrary), Math.max(0, threads), tile,
                scoreThreshold >= 0 && scoreThreshold < 1 ? scoreThreshold : 0,
                mergeRadiusUm >= 0 && mergeRadiusUm <= 50 ? mergeRadiusUm : 0, ellipses, precisionOrAuto(precision));
    }

    /** "auto", "fp32" or "bf16" (any case); anything else is AUTO. */
    public static DetectOptions.Precision precisionOrAuto(String name) {
        DetectOptions.Precision p = precisionOrNull(name);
        return p == null ? DetectOptions.Precision.AUTO : p;
    }

    /** "auto", "fp32" or "bf16" (any case); null for anything else. */
    static DetectOptions.Precision precisionOrNull(String name) {
        if (name != null) {
            for (DetectOptions.Precision p : DetectOptions.Precision.values()) {
                if (p.name().equalsIgnoreCase(name.strip())) return p;
            }
        }
        return null;
    }

    /** The engine's options for a detection restricted to `regions` (empty = the whole image). */
    public DetectOptions detectOptions(List<Region> regions) {
        return DetectOptions.builder().tilePx(tilePx).scoreThreshold(scoreThreshold).mergeRadiusUm(mergeRadiusUm).regions(regions)
                .precision(precision).build();
    }

    public MuseSettings withModel(Path newModel) {
        return new MuseSettings(newModel, nativeLibrary, threads, tilePx, scoreThreshold, mergeRadiusUm, ellipses, precision);
    }

    private static Path pathOrNull(String s) {
        return s == null || s.isBlank() ? null : Path.of(s.strip());
    }
}
