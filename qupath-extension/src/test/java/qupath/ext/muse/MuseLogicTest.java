package qupath.ext.muse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.musequpath.engine.Cancellation;
import io.github.musequpath.engine.Detection;
import io.github.musequpath.engine.DetectOptions;
import io.github.musequpath.engine.ModelInfo;
import io.github.musequpath.engine.NucleusClass;
import io.github.musequpath.engine.ProgressListener;
import io.github.musequpath.engine.Region;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import qupath.lib.plugins.SimpleProgressMonitor;
import qupath.lib.regions.ImageRegion;

/** The extension's logic that needs no running QuPath: settings, tile requests, pixels, objects, scripts, progress. */
class MuseLogicTest {

    static final ModelInfo MODEL = new ModelInfo("r50_w16", 0.5, 256,
            List.of(new NucleusClass("Lymphocyte", 0, 0, 200), new NucleusClass("Tumor", 200, 0, 0), new NucleusClass("Stroma", 0, 150, 0)),
            0.4, 3.0, 16, "{}");

    @Test
    void preferencesMapOntoTheEngineOptions() {
        MuseSettings s = MuseSettings.fromPreferences(" /models/lab.muse ", "", 2, 500, 0.45, 4.0, true, " FP32");
        assertEquals(Path.of("/models/lab.muse"), s.model());
        assertNull(s.nativeLibrary());
        assertEquals(512, s.tilePx(), "rounded to a multiple of 32");
        Region roi = Region.rectangle(10, 20, 300, 400);
        DetectOptions o = s.detectOptions(List.of(roi));
        assertEquals(512, o.tilePx());
        assertEquals(0.45, o.scoreThreshold());
        assertEquals(4.0, o.mergeRadiusUm());
        assertEquals(DetectOptions.Precision.FP32, o.precision(), "the precision preference reaches the engine");
        assertEquals(1, o.regions().size());
        assertArrayEquals(roi.outer(), o.regions().get(0).outer());
    }

    @Test
    void outOfRangePreferencesFallBackToDefaultsButExplicitSettingsAreChecked() {
        MuseSettings s = MuseSettings.fromPreferences(null, null, -3, 10, 7.0, -1, false, "fp16");
        assertEquals(0, s.threads());
        assertEquals(64, s.tilePx());
        assertEquals(0, s.scoreThreshold());
        assertEquals(0, s.mergeRadiusUm());
        assertEquals(DetectOptions.Precision.AUTO, s.precision(), "an unknown precision is auto");
        assertEquals(DetectOptions.Precision.AUTO, MuseSettings.fromPreferences(null, null, 0, 512, 0, 0, false, null).precision());
        assertThrows(IllegalArgumentException.class, () -> new MuseSettings(null, null, 0, 512, 0, 0, false, null));
        assertThrows(IllegalArgumentException.class, () -> new MuseSettings(null, null, 0, 500, 0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new MuseSettings(null, null, -1, 512, 0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new MuseSettings(null, null, 0, 512, 1.5, 0, false));
    }

    @Test
    void tileRequestsInsideTheImageAskForExactlyTheEnginesRead() {
        TileRequest t = TileRequest.of(10000, 8000, 4.0, 1024, 2048, 256, 128);
        assertEquals(new TileRequest(1024, 2048, 1024, 512, 4.0, 0, 0, 256, 128), t);
    }

    @Test
    void tileRequestsAcrossTheImageEdgeAreClippedAndPlacedInTheWhiteCanvas() {
        TileRequest t = TileRequest.of(1000, 800, 2.0, -64, 700, 100, 100);  // left of and below the image
        assertEquals(0, t.x());
        assertEquals(700, t.y());
        assertEquals(136, t.width());      // level-0 [0, 136)
        assertEquals(100, t.height());     // level-0 [700, 800)
        assertEquals(32, t.destX());       // 64 level-0 px = 32 level px
        assertEquals(0, t.destY());
        assertEquals(68, t.destWidth());
        assertEquals(50, t.destHeight());
        assertTrue(TileRequest.of(1000, 800, 1.0, 2000, 0, 64, 64).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> TileRequest.of(1000, 800, 0.5, 0, 0, 64, 64));
    }

    @Test
    void pixelsArePastedAsRgbWithTransparencyAsWhiteAndRoundingAbsorbed() {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 2; y++) for (int x = 0; x < 3; x++) img.setRGB(x, y, 0xFF404040);
        img.setRGB(0, 0, 0xFF102030);
        img.setRGB(1, 0, 0x00000000);  // transparent = glass
        byte[] canvas = RgbPixels.whiteCanvas(4, 3);
        RgbPixels.paste(img, canvas, 4, 3, 1, 1, 3, 2);
        int o = (1 * 4 + 1) * 3;
        assertEquals(0x10, canvas[o] & 0xFF);
        assertEquals(0x20, canvas[o + 1] & 0xFF);
        assertEquals(0x30, canvas[o + 2] & 0xFF);
        assertEquals(255, canvas[o + 3] & 0xFF, "transparent pixel is white");
        assertEquals(255, canvas[0] & 0xFF, "outside the pasted part stays white");
        byte[] stretched = RgbPixels.whiteCanvas(4, 4);
        RgbPixels.paste(img, stretched, 4, 4, 0, 0, 4, 4);  // a 3x2 answer for a 4x4 request fills it
        assertEquals(0x10, stretched[0] & 0xFF);
        assertEquals(0x40, stretched[(3 * 4 + 3) * 3] & 0xFF, "filled to the corner from the answer's last pixel");
    }

    @Test
    void anImageServerBecomesAPixelSourceWithFullResolutionFirstAndWhiteBeyondTheEdge() throws Exception {
        List<double[]> requests = new java.util.ArrayList<>();
        ImageServerPixelSource source = new ImageServerPixelSource("slide.ndpi", 1000, 600, new double[] {4.0, 1.0, 16.0, 4.0}, 0.23,
                (ds, x, y, w, h) -> {
                    requests.add(new double[] {ds, x, y, w, h});
                    BufferedImage img = new BufferedImage((int) Math.round(w / ds), (int) Math.round(h / ds), BufferedImage.TYPE_INT_RGB);
                    for (int yy = 0; yy < img.getHeight(); yy++) for (int xx = 0; xx < img.getWidth(); xx++) img.setRGB(xx, yy, 0x336699);
                    return img;
                });
        assertEquals(List.of(1.0, 4.0, 16.0), source.levels().stream().map(l -> l.downsample()).toList());
        assertEquals(250, source.levels().get(1).width());
        assertEquals(38, source.levels().get(2).height(), "ceil(600 / 16)");
        assertEquals(0.23, source.mpp());
        byte[] rgb = source.readRgb(1, 900, -40, 50, 30);  // level 1 (4x): level-0 [900, 1100) x [-40, 80)
        assertEquals(1, requests.size());
        assertArrayEquals(new double[] {4.0, 900, 0, 100, 80}, requests.get(0));
        assertEquals(0x33, rgb[(10 * 50 + 0) * 3] & 0xFF, "inside the image: its pixels");
        assertEquals(255, rgb[(10 * 50 + 30) * 3] & 0xFF, "right of the image: white");
        assertEquals(255, rgb[(5 * 50 + 0) * 3] & 0xFF, "above the image: white");
        assertEquals(50 * 30 * 3, source.readRgb(0, 5000, 5000, 50, 30).length);
        assertEquals(1, requests.size(), "nothing requested for a read wholly outside");
    }

    @Test
    void aDetectionBecomesAClassifiedObjectWithTheCliMeasurementNames() {
        Detection d = new Detection(100.5, 200.25, 1, "Tumor", 0.8f, new float[] {0.1f, 0.8f, 0.05f});
        NucleusObjectSpec point = NucleusObjectSpec.of(d, MODEL, 0.25, false);
        assertEquals(100.5, point.x());
        assertEquals(200.25, point.y());
        assertEquals(0, point.radiusPx());
        assertEquals("Tumor", point.className());
        assertEquals(0xC80000, point.rgb());
        assertEquals(List.of("Score", "Probability: Lymphocyte", "Probability: Tumor", "Probability: Stroma"),
                List.copyOf(point.measurements().keySet()));
        assertEquals(0.8, point.measurements().get("Score"), 1e-6);
        assertEquals(0.05, point.measurements().get("Probability: Stroma"), 1e-6);
        NucleusObjectSpec ellipse = NucleusObjectSpec.of(d, MODEL, 0.25, true);
        assertEquals(12.0, ellipse.radiusPx(), 1e-9, "3 um at 0.25 um/px");
    }

    @Test
    void theDetectDialogParsesWhatTheUserTypedWithClearErrors(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path model = java.nio.file.Files.writeString(dir.resolve("lab.muse"), "x");
        DetectChoices c = DetectChoices.parse(false, " " + model + " ", "3", "0.45", true, DetectChoices.Scope.CLASS, " Tumor region ");
        assertEquals(model, c.model());
        assertEquals(3, c.threads());
        assertEquals(0.45, c.scoreThreshold());
        assertTrue(c.ellipses());
        assertEquals("Tumor region", c.areaClass());
        DetectChoices bundled = DetectChoices.parse(true, "/ignored.muse", "", "", false, DetectChoices.Scope.WHOLE_IMAGE, "Tumor");
        assertNull(bundled.model(), "the bundled model");
        assertEquals(0, bundled.threads(), "blank = one per core");
        assertEquals(0, bundled.scoreThreshold(), "blank = the model's");
        assertNull(bundled.areaClass(), "a class only matters for the class scope");

        String missing = assertThrows(IllegalArgumentException.class,
                () -> DetectChoices.parse(false, dir.resolve("nope.muse").toString(), "0", "0", false, DetectChoices.Scope.SELECTED, null)).getMessage();
        assertTrue(missing.contains("nope.muse") && missing.contains("does not exist"), missing);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DetectChoices.parse(true, null, "two", "0", false, DetectChoices.Scope.SELECTED, null)).getMessage().contains("'two'"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DetectChoices.parse(true, null, "0", "1.0", false, DetectChoices.Scope.SELECTED, null)).getMessage().contains("below 1"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DetectChoices.parse(true, null, "0", "0,5", false, DetectChoices.Scope.SELECTED, null)).getMessage().contains("'0,5'"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DetectChoices.parse(true, null, "0", "0", false, DetectChoices.Scope.CLASS, " ")).getMessage().contains("class"));
    }

    @Test
    void theDetectDialogsChoicesBecomeTheSettingsTheRememberedScopeAndTheScript() {
        MuseSettings saved = new MuseSettings(null, Path.of("/lib"), 0, 1024, 0, 2.0, false, DetectOptions.Precision.FP32);
        DetectChoices opened = DetectChoices.from(saved, DetectChoices.Scope.CLASS, "");
        assertEquals(DetectChoices.Scope.SELECTED, opened.scope(), "a remembered class scope without a class opens as the selection");
        assertEquals(DetectChoices.Scope.SELECTED, DetectChoices.Scope.fromName("garbage"));
        assertEquals(DetectChoices.Scope.WHOLE_IMAGE, DetectChoices.Scope.fromName("WHOLE_IMAGE"));

        DetectChoices c = new DetectChoices(Path.of("/m/lab.muse"), 2, 0.6, true, DetectChoices.Scope.CLASS, "Tumor \"A\"");
        MuseSettings applied = c.applyTo(saved);
        assertEquals(new MuseSettings(Path.of("/m/lab.muse"), Path.of("/lib"), 2, 1024, 0.6, 2.0, true, DetectOptions.Precision.FP32),
                applied, "tile size, merge radius, precision and library stay as saved");
        assertEquals("qupath.ext.muse.Muse.builder().model(\"/m/lab.muse\").threads(2).tileSize(1024).scoreThreshold(0.6)"
                + ".mergeRadius(2.0).ellipses(true).precision(\"fp32\").build().detect(getCurrentImageData(), "
                + "qupath.ext.muse.Muse.annotationsOfClass(getCurrentImageData(), \"Tumor \\\"A\\\"\"))", c.script(saved));
        assertEquals(MuseScript.detect(applied, DetectChoices.Scope.WHOLE_IMAGE, null),
                new DetectChoices(c.model(), 2, 0.6, true, DetectChoices.Scope.WHOLE_IMAGE, null).script(saved));
    }

    @Test
    void scriptsReplayTheSettingsAndQuoteForGroovy() {
        MuseSettings s = new MuseSettings(Path.of("/data/m$1 \"x\".muse"), null, 2, 256, 0.5, 0, true);
        assertEquals("qupath.ext.muse.Muse.builder().model(\"/data/m\\$1 \\\"x\\\".muse\").threads(2).tileSize(256).scoreThreshold(0.5)"
                + ".mergeRadius(0.0).ellipses(true).precision(\"auto\").build().detect(getCurrentImageData(), getSelectedObjects())",
                MuseScript.detect(s, DetectChoices.Scope.SELECTED, null));
        assertEquals("qupath.ext.muse.Muse.builder().defaultModel().tileSize(512).scoreThreshold(0.0).mergeRadius(0.0).ellipses(false)"
                + ".precision(\"auto\").build()"
                + ".detectWholeImage(getCurrentImageData())", MuseScript.detect(MuseSettings.defaults(), DetectChoices.Scope.WHOLE_IMAGE, null),
                "the whole image is said explicitly, so a replay without a selection never falls back to it");
        assertTrue(MuseScript.finetune(MuseSettings.defaults(), Path.of("/m/new.muse"), "heads", 30)
                .endsWith(".finetune(getCurrentImageData(), getSelectedObjects(), \"/m/new.muse\", \"heads\", 30)"));
    }

    @Test
    void theScriptBuilderChecksEveryValue() {
        Muse muse = Muse.builder().model("/m/a.muse").threads(3).tileSize(1024).scoreThreshold(0.3).mergeRadius(2.5).ellipses(true)
                .precision("BF16").build();
        assertEquals(new MuseSettings(Path.of("/m/a.muse"), null, 3, 1024, 0.3, 2.5, true, DetectOptions.Precision.BF16), muse.settings());
        assertEquals(MuseSettings.defaults(), Muse.builder().build().settings());
        assertEquals(muse.settings(), Muse.builder().settings(muse.settings()).build().settings());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Muse.builder().tileSize(100).build());
        assertTrue(e.getMessage().contains("multiple of 32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Muse.builder().mergeRadius(-2).build());
        e = assertThrows(IllegalArgumentException.class, () -> Muse.builder().precision("fp16"));
        assertTrue(e.getMessage().contains("auto, fp32 or bf16"), e.getMessage());
    }

    /** A QuPath progress monitor that records what it is told; Cancel is pressed by the test. */
    static final class RecordingMonitor implements SimpleProgressMonitor {
        int max = -1, progress, starts, completions;
        boolean mayCancel, cancelPressed;
        String title, lastMessage;
        final List<Integer> increments = new ArrayList<>();

        @Override public void startMonitoring(String message, int maxProgress, boolean mayCancel) {
            starts++; title = message; max = maxProgress; this.mayCancel = mayCancel;
        }
        @Override public void updateProgress(int increment, String message, ImageRegion region) {
            increments.add(increment); progress += increment; lastMessage = message;
        }
        @Override public void pluginCompleted(String message) { completions++; }
        @Override public boolean cancelled() { return cancelPressed; }
    }

    @Test
    void engineProgressFillsQuPathsMonitorOnceForwardOnlyAndItsCancelStopsTheRun() {
        RecordingMonitor monitor = new RecordingMonitor();
        Cancellation cancellation = new Cancellation();
        try (MonitorProgressListener listener = new MonitorProgressListener(monitor, "MUSE: detecting nuclei", cancellation)) {
            assertEquals(1, monitor.starts);
            assertEquals("MUSE: detecting nuclei", monitor.title);
            assertTrue(monitor.mayCancel);
            // Two areas reported as one run, as Muse.detect does: 10 tiles then 30 tiles.
            ProgressListener first = Muse.areaProgress(listener, 0, 2), second = Muse.areaProgress(listener, 1, 2);
            for (int d = 0; d <= 10; d++) first.progress(d, 10, "tiles", d + " tiles, " + 3 * d + " nuclei");
            assertEquals(MonitorProgressListener.STEPS / 2, monitor.progress, "half way after the first of two areas");
            assertEquals("area 1/2: 10 tiles, 30 nuclei", monitor.lastMessage);
            first.progress(3, 10, "tiles", "a late, smaller report");  // never moves the bar back
            for (int d = 0; d <= 30; d++) second.progress(d, 30, "tiles", "");
            assertEquals("area 2/2: 30/30 tiles", monitor.lastMessage);
            assertTrue(monitor.increments.stream().allMatch(i -> i >= 0), monitor.increments.toString());
            assertEquals(MonitorProgressListener.STEPS - 1, monitor.progress, "the last step is left for the end, so the dialog stays up");
            assertEquals(0, monitor.completions);
            assertFalse(cancellation.isCancelled());
            monitor.cancelPressed = true;
            listener.progress(31, 40, "tiles", "");
            assertTrue(cancellation.isCancelled(), "QuPath's Cancel reaches the engine at the next report");
        }
        assertEquals(1, monitor.completions, "closing ends the monitor once");
    }

    @Test
    void oneAreaReportsUnchangedAndUnknownTotalsKeepTheBarStill() {
        RecordingMonitor monitor = new RecordingMonitor();
        MonitorProgressListener listener = new MonitorProgressListener(monitor, "t", new Cancellation());
        assertSame(listener, Muse.areaProgress(listener, 0, 1));
        listener.progress(5, 0, "samples", "loading");
        assertEquals(0, monitor.progress);
        assertEquals("loading", monitor.lastMessage);
        listener.progress(1, 4, "samples", "epoch 1, loss 0.5");
        assertEquals(MonitorProgressListener.STEPS / 4, monitor.progress);
        listener.finish("Done");
        listener.close();
        listener.progress(4, 4, "samples", "after the end");
        assertEquals(MonitorProgressListener.STEPS / 4, monitor.progress, "nothing reaches a finished monitor");
        assertEquals(1, monitor.completions, "finish and close end the monitor once");
    }
}
