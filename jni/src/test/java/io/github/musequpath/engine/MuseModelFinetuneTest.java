package io.github.musequpath.engine;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning and pseudo-labels through the Java API. */
class MuseModelFinetuneTest {
    static MuseModel model;

    @BeforeAll
    static void load() {
        model = MuseModel.load(TestImages.model());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** One annotated square of the synthetic image, every nucleus in it clicked as `cls`. */
    static AnnotatedImage annotated(String cls) {
        double x0 = 100, y0 = 100, side = 300;
        double[] c = TestImages.nucleusCentres();
        List<Double> inside = new ArrayList<>();
        for (int i = 0; i < c.length; i += 2) {
            if (c[i] > x0 && c[i] < x0 + side && c[i + 1] > y0 && c[i + 1] < y0 + side) {
                inside.add(c[i]);
                inside.add(c[i + 1]);
            }
        }
        double[] xy = inside.stream().mapToDouble(Double::doubleValue).toArray();
        return AnnotatedImage.of(TestImages.syntheticSource(), List.of(Region.rectangle(x0, y0, side, side)),
                List.of(new ClassifiedPoints(cls, xy)));
    }

    /** CI-sized: a short colour fit (the default's 30 passes would triple these tests' time). */
    static FinetuneOptions.Builder quick() {
        return FinetuneOptions.builder().mode(FinetuneOptions.Mode.HEADS).epochs(3).samplePx(512).lr(1e-3).stainFitEpochs(2);
    }

    @Test
    void theEngineDecidesTheRangesOfFineTuningOptions(@TempDir Path dir) {
        assertDoesNotThrow(() -> quick().build().validate());
        for (FinetuneOptions wrong : List.of(quick().epochs(0).build(), quick().samplePx(500).build(), quick().lr(1e-5).lrMin(1e-4).build(),
                quick().consThreshold(0).build(), quick().batch(0).build(), quick().adaptWeight(1.5).build(), quick().stainFitEpochs(-1).build())) {
            MuseException early = assertThrows(MuseException.class, wrong::validate);
            assertEquals(MuseException.Kind.INVALID_ARGUMENT, early.kind());
            Path out = dir.resolve("never.muse");
            MuseException late = assertThrows(MuseException.class, () -> model.finetune(List.of(annotated("Tumor")), wrong, out, null, null));
            assertEquals(early.getMessage(), late.getMessage());
            assertFalse(Files.exists(out));
        }
        assertTrue(assertThrows(MuseException.class, () -> quick().epochs(0).build().validate()).getMessage().contains("epochs"));
    }

    @Test
    void headsModeWritesANewModelThatLoadsAndDetects(@TempDir Path dir) {
        Path out = dir.resolve("tuned.muse");
        List<long[]> reports = new ArrayList<>();
        FinetuneResult r = model.finetune(List.of(annotated("Tumor")), quick().build(), out,
                (done, total, unit, message) -> reports.add(new long[] {done, total}), null);
        assertEquals(out, r.model());
        assertTrue(Files.isRegularFile(out));
        assertFalse(Files.exists(Path.of(out + ".ckpt")), "the checkpoint is removed after success");
        assertEquals(3, r.history().size());
        assertEquals(1, r.regions());
        assertTrue(r.nuclei() > 20, "nuclei " + r.nuclei());
        assertFalse(reports.isEmpty());
        for (FinetuneResult.Epoch e : r.history()) assertTrue(Double.isFinite(e.loss()) && e.loss() > 0);
        try (MuseModel tuned = MuseModel.load(out)) {
            assertEquals(model.info().classes(), tuned.info().classes());
            assertTrue(tuned.info().provenanceJson().contains("muse-engine Java API"), tuned.info().provenanceJson());
            assertFalse(tuned.detect(TestImages.syntheticSource(), DetectOptions.defaults(), null, null).detections().isEmpty());
        }
    }

    /**
     * The BatchNorm statistics are first adapted to the image's tissue (label-free) at the given
     * share, or by default at the share chosen on the annotations; 0 turns it off.
     */
    @Test
    void theStatisticsAreAdaptedToTheImageFirstUnlessTurnedOff(@TempDir Path dir) {
        assertEquals(FinetuneOptions.AUTO_ADAPT_WEIGHT, FinetuneOptions.builder().build().adaptWeight());
        FinetuneResult adapted = model.finetune(List.of(annotated("Tumor")), quick().epochs(1).adaptWeight(0.5).build(),
                dir.resolve("a.muse"), null, null);
        FinetuneResult plain = model.finetune(List.of(annotated("Tumor")), quick().epochs(1).adaptWeight(0).build(), dir.resolve("p.muse"),
                null, null);
        FinetuneResult chosen = model.finetune(List.of(annotated("Tumor")), quick().epochs(1).build(), dir.resolve("c.muse"), null, null);
        assertTrue(adapted.adaptedTiles() >= 8, "adapted to " + adapted.adaptedTiles() + " tiles");
        assertEquals(0.5, adapted.adaptWeight());
        assertFalse(adapted.adaptWeightChosen());
        assertEquals(0, plain.adaptedTiles());
        assertEquals(0.0, plain.adaptWeight());
        assertTrue(chosen.adaptWeightChosen());
        assertTrue(List.of(0.0, 0.5, 1.0).contains(chosen.adaptWeight()), "chosen share " + chosen.adaptWeight());
        assertEquals(chosen.adaptWeight() > 0, chosen.adaptedTiles() >= 8, "tiles " + chosen.adaptedTiles());
        try (MuseModel a = MuseModel.load(adapted.model()); MuseModel p = MuseModel.load(plain.model());
             MuseModel c = MuseModel.load(chosen.model())) {
            assertTrue(a.info().provenanceJson().contains("batchnorm_adaptation"), a.info().provenanceJson());
            assertFalse(p.info().provenanceJson().contains("batchnorm_adaptation"), p.info().provenanceJson());
            assertTrue(c.info().provenanceJson().contains("\"adapt_losses\""), c.info().provenanceJson());
        }
    }

    /**
     * AUTO by default; FP32 as asked; BF16 fine-tunes where the CPU has native bfloat16 (recorded in
     * the model's provenance) and is refused before any work elsewhere (DNNL_MAX_CPU_ISA=AVX2 in CI's
     * isa_capped_avx2 run, or an older CPU).
     */
    @Test
    void fineTuningRunsInTheChosenPrecisionOrRefusesBf16(@TempDir Path dir) {
        assertEquals(DetectOptions.Precision.AUTO, FinetuneOptions.builder().build().precision());
        FinetuneResult fp32 = model.finetune(List.of(annotated("Tumor")), quick().epochs(1).precision(DetectOptions.Precision.FP32).build(),
                dir.resolve("f.muse"), null, null);
        try (MuseModel m = MuseModel.load(fp32.model())) {
            assertFalse(m.info().provenanceJson().contains("\"precision\""), m.info().provenanceJson());
        }
        FinetuneOptions bf16 = quick().epochs(1).precision(DetectOptions.Precision.BF16).build();
        Path out = dir.resolve("b.muse");
        if (Bf16Refusal.refusedHere(bf16::validate)) {
            assertThrows(MuseException.class, () -> model.finetune(List.of(annotated("Tumor")), bf16, out, null, null));
            assertFalse(Files.exists(out));
            return;
        }
        FinetuneResult low = model.finetune(List.of(annotated("Tumor")), bf16, out, null, null);
        assertEquals(1, low.history().size());
        assertTrue(Double.isFinite(low.history().get(0).loss()) && low.history().get(0).loss() > 0);
        try (MuseModel m = MuseModel.load(out)) {
            assertTrue(m.info().provenanceJson().contains("\"precision\":\"bf16\""), m.info().provenanceJson());
            assertFalse(m.detect(TestImages.syntheticSource(), DetectOptions.defaults(), null, null).detections().isEmpty());
        }
    }

    @Test
    void unknownClassesAreAnErrorThatListsThemUnlessAllowed(@TempDir Path dir) {
        MuseException e = assertThrows(MuseException.class,
                () -> model.finetune(List.of(annotated("Mitosis")), quick().build(), dir.resolve("x.muse"), null, null));
        assertEquals(MuseException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("'Mitosis'") && e.getMessage().contains("'Lymphocyte'"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("x.muse")));

        FinetuneResult r = model.finetune(List.of(annotated("Mitosis")), quick().allowNewClasses(true).build(), dir.resolve("y.muse"), null, null);
        assertEquals(List.of("Mitosis"), r.newClasses());
        try (MuseModel tuned = MuseModel.load(r.model())) {
            assertEquals(4, tuned.info().classes().size());
            assertEquals("Mitosis", tuned.info().classes().get(3).name());
        }
    }

    @Test
    void cancellingAFinetuneWritesNoModel(@TempDir Path dir) {
        Path out = dir.resolve("cancelled.muse");
        Cancellation cancel = new Cancellation();
        assertThrows(CancellationException.class, () -> model.finetune(List.of(annotated("Tumor")), quick().build(), out,
                (done, total, unit, message) -> cancel.cancel(), cancel));
        assertFalse(Files.exists(out));
    }

    @Test
    void theBaseModelIsNeverOverwritten(@TempDir Path dir) throws Exception {
        Path copy = Files.copy(TestImages.model(), dir.resolve("base.muse"));
        try (MuseModel base = MuseModel.load(copy)) {
            MuseException e = assertThrows(MuseException.class, () -> base.finetune(List.of(annotated("Tumor")), quick().build(), copy, null, null));
            assertEquals(MuseException.Kind.INVALID_ARGUMENT, e.kind());
            assertTrue(e.getMessage().contains("base model"), e.getMessage());
        }
    }

    @Test
    void aCheckpointThatWouldReplaceTheOutputOrTheBaseModelIsRefused(@TempDir Path dir) {
        Path out = dir.resolve("o.muse");
        MuseException e = assertThrows(MuseException.class,
                () -> model.finetune(List.of(annotated("Tumor")), quick().checkpoint(out).build(), out, null, null));
        assertTrue(e.getMessage().contains("checkpoint"), e.getMessage());
        e = assertThrows(MuseException.class,
                () -> model.finetune(List.of(annotated("Tumor")), quick().checkpoint(TestImages.model()).build(), out, null, null));
        assertEquals(MuseException.Kind.INVALID_ARGUMENT, e.kind());
        assertFalse(Files.exists(out));
    }

    @Test
    void annotationsWithoutAnAnnotatedAreaAreRejected(@TempDir Path dir) {
        AnnotatedImage empty = AnnotatedImage.of(TestImages.syntheticSource(), List.of(Region.rectangle(0, 0, 50, 50)), List.of());
        MuseException e = assertThrows(MuseException.class, () -> model.finetune(List.of(empty), quick().build(), dir.resolve("z.muse"), null, null));
        assertTrue(e.getMessage().contains("no annotated area"), e.getMessage());
    }

    @Test
    void pseudoLabelsLieInTheRingAroundTheRegionAndAreConfident() {
        double threshold = 0.6;
        DetectionResult r = model.pseudoLabel(annotated("Tumor"), 40, threshold, DetectOptions.defaults(), null, null);
        assertFalse(r.detections().isEmpty());
        for (Detection d : r.detections()) {
            assertTrue(d.score() >= threshold - 1e-6);
            boolean inRegion = d.x() > 100 && d.x() < 400 && d.y() > 100 && d.y() < 400;
            boolean inRing = d.x() >= 100 - 80 && d.x() <= 400 + 80 && d.y() >= 100 - 80 && d.y() <= 400 + 80;  // 40 um = 80 px
            assertFalse(inRegion, "a pseudo-label inside the annotated region: " + d);
            assertTrue(inRing, "a pseudo-label outside the ring: " + d);
        }
    }
}
