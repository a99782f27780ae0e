package io.github.musequpath.engine;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection through the Java API: the same results as the engine on files, and every bad input as an exception. */
class MuseModelDetectTest {
    static MuseModel model;

    @BeforeAll
    static void load() {
        model = MuseModel.load(TestImages.model());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void modelInfoDescribesTheDefaultModel() {
        ModelInfo info = model.info();
        assertEquals("r50_w16", info.architecture());
        assertEquals(0.5, info.mpp(), 1e-9);
        assertEquals(List.of("Lymphocyte", "Tumor", "Stroma"), info.classes().stream().map(NucleusClass::name).toList());
        assertTrue(info.scoreThreshold() > 0 && info.scoreThreshold() < 1);
        assertTrue(info.provenanceJson().startsWith("{"));
    }

    @Test
    void pixelsFromJavaGiveTheSameNucleiAsTheSameImageReadByTheEngine(@TempDir Path dir) throws IOException {
        DetectionResult fromJava = model.detect(TestImages.syntheticSource(), DetectOptions.defaults(), null, null);
        DetectionResult fromFile = model.detect(TestImages.syntheticPng(dir), DetectOptions.builder().mpp(TestImages.MPP).build(), null, null);
        assertFalse(fromJava.detections().isEmpty());
        assertSameNuclei(fromFile.detections(), fromJava.detections());
        assertEquals(fromFile.tilesDone(), fromJava.tilesDone());
    }

    /** Share of `a`'s nuclei with one of `b` of the same class within 1 px. */
    static double agreement(List<Detection> a, List<Detection> b) {
        long found = a.stream().filter(d -> b.stream().anyMatch(e -> e.classIndex() == d.classIndex()
                && Math.hypot(e.x() - d.x(), e.y() - d.y()) <= 1.0)).count();
        return a.isEmpty() ? 1.0 : (double) found / a.size();
    }

    /** AUTO by default; BF16 agrees with FP32 where the CPU has it, and is refused up front where it does not. */
    @Test
    void precisionIsAutoByDefaultAndBf16AgreesWithFp32OrIsRefused() {
        assertEquals(DetectOptions.Precision.AUTO, DetectOptions.defaults().precision());
        DetectOptions bf16 = DetectOptions.builder().precision(DetectOptions.Precision.BF16).build();
        List<Detection> fp32 = model.detect(TestImages.syntheticSource(),
                DetectOptions.builder().precision(DetectOptions.Precision.FP32).build(), null, null).detections();
        assertTrue(fp32.size() > 20, "nuclei " + fp32.size());
        if (Bf16Refusal.refusedHere(bf16::validate)) return;
        List<Detection> low = model.detect(TestImages.syntheticSource(), bf16, null, null).detections();
        assertTrue(agreement(fp32, low) >= 0.99, "fp32 nuclei matched by bf16: " + agreement(fp32, low));
    }

    @Test
    void nucleiAreFoundWhereTheyAreInLevel0Pixels() {
        DetectionResult r = model.detect(TestImages.syntheticSource(), DetectOptions.defaults(), null, null);
        double[] c = TestImages.nucleusCentres();
        int found = 0;
        for (int i = 0; i < c.length; i += 2) {
            for (Detection d : r.detections()) {
                if (Math.hypot(d.x() - c[i], d.y() - c[i + 1]) <= 6.0) {  // 3 um
                    found++;
                    break;
                }
            }
        }
        int nuclei = c.length / 2;
        assertTrue(found >= 0.8 * nuclei, "found " + found + " of " + nuclei + " synthetic nuclei (" + r.detections().size() + " detections)");
        for (Detection d : r.detections()) {
            assertEquals(model.info().classes().size(), d.probabilities().length);
            assertEquals(model.info().classOf(d.classIndex()).name(), d.className());
            assertTrue(d.score() >= model.info().scoreThreshold() - 1e-6);
        }
    }

    @Test
    void detectionOnASlideFileStaysInsideTheRegion() {
        Region roi = Region.rectangle(600, 900, 700, 500);
        DetectionResult r = model.detect(TestImages.sampleSlide(), DetectOptions.builder().regions(List.of(roi)).build(), null, null);
        assertTrue(r.detections().size() > 20, "only " + r.detections().size() + " nuclei in a tissue region of the sample");
        for (Detection d : r.detections()) {
            assertTrue(d.x() >= 600 && d.x() <= 1300 && d.y() >= 900 && d.y() <= 1400, "outside the region: " + d);
        }
        assertEquals(0, r.tilesFailed());
        assertTrue(r.mpp() > 0.49 && r.mpp() < 0.51);
    }

    @Test
    void progressCountsTilesUpToTheTotal() {
        List<long[]> reports = new ArrayList<>();
        DetectionResult r = model.detect(TestImages.syntheticSource(), DetectOptions.builder().tilePx(256).build(),
                (done, total, unit, message) -> reports.add(new long[] {done, total}), null);
        assertFalse(reports.isEmpty());
        long[] last = reports.get(reports.size() - 1);
        assertEquals(r.tilesPlanned(), last[1]);
        assertEquals(last[1], last[0]);
        for (long[] p : reports) assertTrue(p[0] <= p[1]);
    }

    @Test
    void unreadableTilesAreSkippedCountedAndReported() {
        RgbImageSource good = TestImages.syntheticSource();
        AtomicInteger reads = new AtomicInteger();
        PixelSource flaky = new PixelSource() {
            public String name() { return "flaky"; }
            public double mpp() { return good.mpp(); }
            public List<Level> levels() { return good.levels(); }
            public byte[] readRgb(int level, long x, long y, int w, int h) throws IOException {
                if (x < 200 && y < 200 && w == 256 && h == 256) throw new IOException("disk sector unreadable at " + x + "," + y);
                reads.incrementAndGet();
                return good.readRgb(level, x, y, w, h);
            }
        };
        DetectionResult r = model.detect(flaky, DetectOptions.builder().tilePx(256).build(), null, null);
        assertTrue(r.tilesFailed() >= 1, "no tile failed");
        assertEquals(r.tilesPlanned(), r.tilesDone() + r.tilesFailed());
        assertTrue(r.tilesDone() > 0);
        assertTrue(r.failures().get(0).contains("disk sector unreadable"), r.failures().get(0));
        assertFalse(r.detections().isEmpty());
    }

    @Test
    void aSourceReturningTheWrongSizeFailsItsTilesWithAMessage() {
        RgbImageSource good = TestImages.syntheticSource();
        PixelSource wrong = new PixelSource() {
            public String name() { return "short reads"; }
            public double mpp() { return good.mpp(); }
            public List<Level> levels() { return good.levels(); }
            public byte[] readRgb(int level, long x, long y, int w, int h) { return new byte[10]; }
        };
        DetectionResult r = model.detect(wrong, DetectOptions.builder().tissueMask(false).build(), null, null);
        assertEquals(r.tilesPlanned(), r.tilesFailed());
        assertTrue(r.failures().get(0).contains("returned 10 bytes"), r.failures().get(0));
    }

    @Test
    void cancellingFromTheListenerOrByInterruptStopsWithCancellationException() {
        Cancellation cancel = new Cancellation();
        assertThrows(CancellationException.class, () -> model.detect(TestImages.syntheticSource(), DetectOptions.builder().tilePx(256).build(),
                (done, total, unit, message) -> cancel.cancel(), cancel));
        Cancellation already = new Cancellation();
        already.cancel();
        assertThrows(CancellationException.class, () -> model.detect(TestImages.syntheticSource(), DetectOptions.defaults(), null, already));
        try {
            assertThrows(CancellationException.class, () -> model.detect(TestImages.syntheticSource(), DetectOptions.builder().tilePx(256).build(),
                    (done, total, unit, message) -> Thread.currentThread().interrupt(), null));
        } finally {
            Thread.interrupted();  // clear the flag for the next test
        }
    }

    @Test
    void anExceptionFromTheListenerReachesTheCallerUnchanged() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> model.detect(TestImages.syntheticSource(),
                DetectOptions.defaults(), (done, total, unit, message) -> { throw new IllegalStateException("listener broke"); }, null));
        assertEquals("listener broke", e.getMessage());
    }

    @Test
    void badInputsBecomeJavaExceptionsThatSayWhatIsWrong(@TempDir Path dir) throws IOException {
        MuseException missing = assertThrows(MuseException.class, () -> MuseModel.load(dir.resolve("nope.muse")));
        assertEquals(MuseException.Kind.IO_ERROR, missing.kind());
        assertTrue(missing.getMessage().contains("nope.muse"), missing.getMessage());

        Path garbage = Files.write(dir.resolve("garbage.muse"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
        MuseException bad = assertThrows(MuseException.class, () -> MuseModel.load(garbage));
        assertTrue(bad.kind() == MuseException.Kind.UNSUPPORTED_FORMAT || bad.kind() == MuseException.Kind.CORRUPT_FILE, bad.kind().toString());
        assertTrue(bad.getMessage().contains("garbage.muse"), bad.getMessage());

        MuseException noSlide = assertThrows(MuseException.class, () -> model.detect(dir.resolve("missing.svs"), DetectOptions.defaults(), null, null));
        assertTrue(noSlide.getMessage().contains("missing.svs"), noSlide.getMessage());

        Path text = Files.writeString(dir.resolve("notes.txt"), "not a slide");
        MuseException unsupported = assertThrows(MuseException.class, () -> model.detect(text, DetectOptions.defaults(), null, null));
        assertEquals(MuseException.Kind.UNSUPPORTED_FORMAT, unsupported.kind());

        RgbImageSource noMpp = new RgbImageSource("uncalibrated", 64, 64, new byte[64 * 64 * 3], 0);
        MuseException mpp = assertThrows(MuseException.class, () -> model.detect(noMpp, DetectOptions.defaults(), null, null));
        assertEquals(MuseException.Kind.INVALID_ARGUMENT, mpp.kind());
        assertTrue(mpp.getMessage().contains("MPP"), mpp.getMessage());

        MuseException outside = assertThrows(MuseException.class, () -> model.detect(TestImages.syntheticSource(),
                DetectOptions.builder().regions(List.of(Region.rectangle(5000, 5000, 100, 100))).build(), null, null));
        assertEquals(MuseException.Kind.INVALID_ARGUMENT, outside.kind());

        PixelSource badLevels = new PixelSource() {
            public String name() { return "bad levels"; }
            public double mpp() { return 0.5; }
            public List<Level> levels() { return List.of(new Level(100, 100, 2.0)); }
            public byte[] readRgb(int level, long x, long y, int w, int h) { return new byte[w * h * 3]; }
        };
        MuseException levels = assertThrows(MuseException.class, () -> model.detect(badLevels, DetectOptions.defaults(), null, null));
        assertTrue(levels.getMessage().contains("bad levels"), levels.getMessage());

        // The engine is the one place that decides the ranges: an early check and a detection
        // refuse the same values with the same message (a threshold of 1.0 used to pass Java and fail in C++).
        for (DetectOptions wrong : List.of(DetectOptions.builder().tilePx(100).build(), DetectOptions.builder().scoreThreshold(1.0).build(),
                DetectOptions.builder().scoreThreshold(Double.NaN).build(), DetectOptions.builder().batch(0).build(),
                DetectOptions.builder().mergeRadiusUm(-1).build(), DetectOptions.builder().readerThreads(65).build())) {
            MuseException early = assertThrows(MuseException.class, wrong::validate);
            assertEquals(MuseException.Kind.INVALID_ARGUMENT, early.kind());
            MuseException late = assertThrows(MuseException.class, () -> model.detect(TestImages.syntheticSource(), wrong, null, null));
            assertEquals(early.getMessage(), late.getMessage());
        }
        assertTrue(assertThrows(MuseException.class, () -> DetectOptions.builder().tilePx(100).build().validate()).getMessage()
                .contains("tile_px"));
        assertDoesNotThrow(() -> DetectOptions.builder().scoreThreshold(0.99).tilePx(4096).build().validate());
        MuseException pseudo = assertThrows(MuseException.class, () -> model.pseudoLabel(
                AnnotatedImage.of(TestImages.syntheticSource(), List.of(Region.rectangle(0, 0, 100, 100)), List.of()), 40, 1.0,
                DetectOptions.defaults(), null, null));
        assertEquals(MuseException.Kind.INVALID_ARGUMENT, pseudo.kind());
        assertTrue(pseudo.getMessage().contains("threshold"), pseudo.getMessage());
        assertThrows(NullPointerException.class, () -> model.detect((Path) null, DetectOptions.defaults(), null, null));
    }

    @Test
    void twoThreadsDetectWithOneModelAtOnce() throws Exception {
        DetectionResult alone = model.detect(TestImages.syntheticSource(), DetectOptions.defaults(), null, null);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<DetectionResult>> runs = new ArrayList<>();
            for (int i = 0; i < 2; i++) runs.add(pool.submit(() -> model.detect(TestImages.syntheticSource(), DetectOptions.defaults(), null, null)));
            for (Future<DetectionResult> f : runs) {
                assertSameNuclei(alone.detections(), f.get().detections());
            }
        } finally {
            pool.shutdown();
        }
    }

    /**
     * The same nuclei in any order (tiles finish in the order the readers deliver them). Positions
     * agree to 1e-3 px: concurrent runs split the math across threads differently, which moves
     * floats in their last digits.
     */
    static void assertSameNuclei(List<Detection> expected, List<Detection> actual) {
        Comparator<Detection> order = Comparator.comparingDouble(Detection::y).thenComparingDouble(Detection::x);
        List<Detection> e = expected.stream().sorted(order).toList(), a = actual.stream().sorted(order).toList();
        assertEquals(e.size(), a.size());
        for (int i = 0; i < e.size(); i++) {
            assertEquals(e.get(i).x(), a.get(i).x(), 1e-3);
            assertEquals(e.get(i).y(), a.get(i).y(), 1e-3);
            assertEquals(e.get(i).classIndex(), a.get(i).classIndex());
            assertEquals(e.get(i).score(), a.get(i).score(), 1e-4);
        }
    }

    @Test
    void pathsOutsideTheBasicMultilingualPlaneOpen(@TempDir Path dir) throws IOException {
        Path odd = Files.createDirectories(dir.resolve("mod\u00e8les \ud83d\udd2c"));
        Path copy = Files.copy(TestImages.model(), odd.resolve("m\u00fcse.muse"));
        try (MuseModel m = MuseModel.load(copy)) {
            assertEquals("r50_w16", m.info().architecture());
        }
        MuseException e = assertThrows(MuseException.class, () -> MuseModel.load(odd.resolve("n\u00f6pe \ud83d\ude00.muse")));
        assertTrue(e.getMessage().contains("n\u00f6pe \ud83d\ude00.muse"), e.getMessage());
    }

    @Test
    void closingFromInsideARunningCallIsRefusedNotADeadlock() {
        MuseModel m = MuseModel.load(TestImages.model());
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.detect(TestImages.syntheticSource(),
                    DetectOptions.builder().tilePx(256).build(), (done, total, unit, message) -> m.close(), null));
            assertTrue(e.getMessage().contains("inside a running call"), e.getMessage());
        } finally {
            m.close();
        }
        assertThrows(IllegalArgumentException.class, () -> NativeLibrary.setComputeThreads(Integer.MAX_VALUE));
    }

    @Test
    void aClosedModelRefusesWork() {
        MuseModel m = MuseModel.load(TestImages.model());
        m.close();
        m.close();  // idempotent
        assertThrows(IllegalStateException.class, () -> m.detect(TestImages.syntheticSource(), DetectOptions.defaults(), null, null));
    }
}
