package qupath.ext.muse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.musequpath.engine.ClassifiedPoints;
import io.github.musequpath.engine.FinetuneOptions;
import io.github.musequpath.engine.Region;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import qupath.lib.images.ImageData;

/** The rules that keep the user's objects safe and the classes and points MUSE uses, without a running QuPath. */
class MuseSafetyTest {

    @Test
    void onlyObjectsNamedByMuseCountAsMuseDetections() {
        assertEquals("MUSE muse-default", MuseMarks.detectionName("/opt/qupath/extensions/muse-default.muse"));
        assertEquals("MUSE lab 2", MuseMarks.detectionName("C:\\models\\lab 2.MUSE"));
        assertEquals("MUSE", MuseMarks.detectionName(null));
        assertTrue(MuseMarks.isMuseDetectionName("MUSE muse-default"));
        assertTrue(MuseMarks.isMuseDetectionName("MUSE"));
        for (String other : new String[] {null, "", "Cell", "MUSEUM tile", "muse default", "Tile 3", MuseMarks.PSEUDO_LABEL_NAME}) {
            assertFalse(MuseMarks.isMuseDetectionName(other), "'" + other + "' is not MUSE's detection");
        }
    }

    @Test
    void aPseudoLabelIsReplacedOnlyWhileTheUserHasNotEditedIt() {
        double[] xy = {10.25, 20.5, 300, 400, 55.5, 66.75};
        double f = MuseMarks.fingerprint("Tumor", xy);
        assertEquals(f, MuseMarks.fingerprint("Tumor", new double[] {300, 400, 55.5, 66.75, 10.25, 20.5}), "the order of points does not matter");
        assertEquals(f, (double) (float) f, "exact in a float, as QuPath stores measurements");
        double[] far = {61234.567891, 48765.4321, 70000.01, 20000.005};
        double[] stored = MuseMarks.asStored(far);
        assertEquals(MuseMarks.fingerprint("Tumor", stored), MuseMarks.fingerprint("Tumor", MuseMarks.asStored(stored)),
                "coordinates as saved in a project (floats) give the same fingerprint after a reload");
        assertTrue(MuseMarks.isUneditedPseudoLabel(MuseMarks.PSEUDO_LABEL_NAME, "Tumor", xy, f));
        assertFalse(MuseMarks.isUneditedPseudoLabel(MuseMarks.PSEUDO_LABEL_NAME, "Stroma", xy, f), "class changed by the user");
        assertFalse(MuseMarks.isUneditedPseudoLabel(MuseMarks.PSEUDO_LABEL_NAME, "Tumor", new double[] {10.25, 20.5, 301, 400, 55.5, 66.75}, f),
                "a point moved by the user");
        assertFalse(MuseMarks.isUneditedPseudoLabel(MuseMarks.PSEUDO_LABEL_NAME, "Tumor", new double[] {10.25, 20.5, 300, 400}, f),
                "a point deleted by the user");
        assertFalse(MuseMarks.isUneditedPseudoLabel(MuseMarks.PSEUDO_LABEL_NAME, "Tumor", xy, Double.NaN), "no fingerprint: not MUSE's");
        assertFalse(MuseMarks.isUneditedPseudoLabel("my points", "Tumor", xy, f), "renamed by the user");
        assertNotEquals(MuseMarks.fingerprint("Tumor", new double[] {1, 2, 3, 4}), MuseMarks.fingerprint("Tumor", new double[] {3, 2, 1, 4}));
    }

    @Test
    void earlierPseudoLabelsBelongToTheAreasWhoseRingHoldsThemAll() {
        List<MuseMarks.Box> zones = List.of(new MuseMarks.Box(0, 0, 100, 100).grownBy(50), new MuseMarks.Box(1000, 1000, 1100, 1100).grownBy(50));
        assertEquals(0, MuseMarks.zoneOf(zones, -40, 120));
        assertEquals(1, MuseMarks.zoneOf(zones, 1120, 990));
        assertEquals(0, MuseMarks.zoneOf(zones, 300, 200), "outside every zone: the nearest");
        assertEquals(-1, MuseMarks.zoneOf(List.of(), 1, 1));
        assertTrue(MuseMarks.withinOneZone(zones, new double[] {-40, 120, 140, -30}));
        assertFalse(MuseMarks.withinOneZone(zones, new double[] {-40, 120, 1050, 1050}), "points of two areas: another run's, kept");
        assertFalse(MuseMarks.withinOneZone(zones, new double[] {-40, 120, 500, 500}), "partly elsewhere: kept");
        assertFalse(MuseMarks.withinOneZone(zones, new double[] {}));
    }

    @Test
    void onlyPointsInsideTheAreasAreUsedAndTheRestIsCountedNotFatal() {
        Region square = Region.rectangle(0, 0, 100, 100);
        Region withHole = new Region("ring", new double[] {200, 0, 400, 0, 400, 200, 200, 200}, List.of(new double[] {250, 50, 350, 50, 350, 150, 250, 150}));
        List<ClassifiedPoints> points = List.of(
                new ClassifiedPoints("Tumor", 10, 10, 100, 50, 150, 50),          // inside, on the edge, outside
                new ClassifiedPoints("Stroma", 210, 10, 300, 100),                 // inside the ring, in its hole
                new ClassifiedPoints("Lymphocyte", 900, 900));                     // elsewhere only
        AreaPoints.Selection s = AreaPoints.select(points, 4, List.of(square, withHole));
        assertEquals(3, s.used());
        assertEquals(3, s.outside());
        assertEquals(4, s.unclassified());
        assertEquals(List.of("Tumor", "Stroma"), s.inside().stream().map(ClassifiedPoints::className).toList(), "a class with no point inside is dropped");
        assertEquals(4, s.inside().get(0).xy().length);
        assertEquals("left out 3 point(s) outside the selected areas and 4 point(s) without a class", s.leftOutNote());
        assertEquals("", AreaPoints.select(List.of(new ClassifiedPoints("Tumor", 5, 5)), 0, List.of(square)).leftOutNote());
    }

    @Test
    void theModelsClassesMissingFromQuPathsListAreAddedAfterTheUsers() {
        assertEquals(List.of("Lymphocyte", "Stroma"),
                MuseMarks.missingClasses(List.of("Tumor", "Immune cells", "Other"), List.of("Lymphocyte", "Tumor", "Stroma", "Stroma")));
        assertEquals(List.of(), MuseMarks.missingClasses(List.of("Lymphocyte", "Tumor"), List.of("Tumor")));
    }

    @Test
    void aReplayWithNothingSelectedDetectsNothingInsteadOfTheWholeImage() {
        Muse muse = Muse.builder().model("/nowhere/model.muse").build();
        Muse.Summary s = muse.detect(new ImageData<BufferedImage>(), List.of());  // touching the image would throw (compile-only QuPath)
        assertEquals(0, s.nuclei());
        assertEquals(0, s.replaced());
        assertEquals(1, s.notes().size());
        assertTrue(s.notes().get(0).contains("detectWholeImage"), s.notes().get(0));
    }

    @Test
    void buildersStartFromThePreferencesSoRecordedScriptsReplayInAFreshSession() {
        MuseSettings prefs = new MuseSettings(Path.of("/lab/model.muse"), Path.of("/opt/muse/libmuse_jni.so"), 3, 768, 0.35, 2.0, true);
        try {
            Muse.startBuildersFrom(() -> prefs);
            assertEquals(prefs, Muse.builder().build().settings());
            // The recorded line sets everything the run used; only the library's place comes from this session's preferences.
            MuseSettings recorded = new MuseSettings(Path.of("/lab/other.muse"), null, 2, 512, 0, 0, false);
            assertEquals("qupath.ext.muse.Muse.builder().model(\"/lab/other.muse\").threads(2).tileSize(512).scoreThreshold(0.0)"
                    + ".mergeRadius(0.0).ellipses(false).precision(\"auto\").build()", MuseScript.builder(recorded));
            MuseSettings replayed = Muse.builder().model("/lab/other.muse").threads(2).tileSize(512).scoreThreshold(0.0).mergeRadius(0.0)
                    .ellipses(false).build().settings();
            assertEquals(new MuseSettings(Path.of("/lab/other.muse"), Path.of("/opt/muse/libmuse_jni.so"), 2, 512, 0, 0, false), replayed);
            assertEquals(null, Muse.builder().defaultModel().build().settings().model(), "the default model, whatever the preferences say");
        } finally {
            Muse.startBuildersFrom(null);
        }
        assertEquals(MuseSettings.defaults(), Muse.builder().build().settings());
    }

    @Test
    void aFineTuneThatAddsClassesReplaysWithThem() {
        assertEquals("qupath.ext.muse.Muse.builder().defaultModel().tileSize(512).scoreThreshold(0.0).mergeRadius(0.0).ellipses(false)"
                + ".precision(\"auto\").allowNewClasses(true).stainFitEpochs(30).build().finetune(getCurrentImageData(), getSelectedObjects(), "
                + "\"/m/new.muse\", \"heads\", 30)", MuseScript.finetune(MuseSettings.defaults(), Path.of("/m/new.muse"), "heads", 30, true));
    }

    @Test
    void aFineTuneReplaysWithTheColourFitItRanWith() {
        // Written out, not left to the default: a later version's default must not change a replay.
        String script = MuseScript.finetune(MuseSettings.defaults(), Path.of("/m/new.muse"), "heads", 30, false);
        assertTrue(script.contains(".precision(\"auto\").stainFitEpochs(" + FinetuneOptions.DEFAULT_STAIN_FIT_EPOCHS + ").build().finetune("), script);
        assertEquals(30, FinetuneOptions.DEFAULT_STAIN_FIT_EPOCHS);
        assertEquals(FinetuneOptions.DEFAULT_STAIN_FIT_EPOCHS, FinetuneOptions.builder().build().stainFitEpochs());
    }

    @Test
    void theJarTellsQuPathItsVersion() {
        // The tests run against the built jar: its manifest's Implementation-Version is what QuPath shows.
        String v = MuseExtension.manifestVersion();
        assertTrue(v != null && v.matches("\\d+\\.\\d+\\.\\d+.*"), "Implementation-Version: " + v);
        assertEquals("0.1.0", MuseExtension.versionOr(null, "0.1.0"));
        assertEquals("0.2.0", MuseExtension.versionOr(" 0.2.0 ", "0.1.0"));
    }
}
