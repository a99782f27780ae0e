package io.github.musequpath.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A MUSE detection model loaded into the native engine.
 *
 * <pre>{@code
 * try (MuseModel model = MuseModel.load(Path.of("models/muse-default.muse"))) {
 *     DetectionResult r = model.detect(Path.of("slide.svs"), DetectOptions.defaults(), ProgressListener.NONE, null);
 *     for (Detection d : r.detections()) System.out.println(d.x() + " " + d.y() + " " + d.className());
 * }
 * }</pre>
 *
 * <p>Thread-safety: one model may run detections in several threads at once (each call has its
 * own reader pool; the model's weights are shared, read-only). Closing waits for running calls
 * to finish; calls after close throw IllegalStateException.
 */
public final class MuseModel implements AutoCloseable {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Path file;
    private final ModelInfo info;
    private long handle;

    private MuseModel(Path file, long handle) {
        this.file = file;
        this.handle = handle;
        try {
            this.info = readInfo(handle);
        } catch (RuntimeException | Error e) {
            NativeBridge.freeModel(handle);
            throw e;
        }
    }

    /** Loads a model file (.muse). The native library is loaded first if needed. */
    public static MuseModel load(Path file) {
        Objects.requireNonNull(file, "file");
        NativeLibrary.load();
        return new MuseModel(file, NativeBridge.loadModel(file.toString()));
    }

    public Path file() {
        return file;
    }

    public ModelInfo info() {
        return info;
    }

    /** Detects nuclei in a slide or image file the engine opens itself (every format OpenSlide reads, PNG/JPEG/TIFF). */
    public DetectionResult detect(Path slide, DetectOptions options, ProgressListener listener, Cancellation cancellation) {
        Objects.requireNonNull(slide, "slide");
        return detect(slide.toString(), null, options, listener, cancellation);
    }

    /** Detects nuclei in pixels the caller supplies (e.g. QuPath's ImageServer). */
    public DetectionResult detect(PixelSource source, DetectOptions options, ProgressListener listener, Cancellation cancellation) {
        Objects.requireNonNull(source, "source");
        return detect(null, new NativePixelFeed(source), options, listener, cancellation);
    }

    /**
     * Pseudo-labels for review: detections scoring at least {@code threshold} in a ring of
     * {@code ringUm} micrometres around each annotated area of the image.
     */
    public DetectionResult pseudoLabel(AnnotatedImage image, double ringUm, double threshold, DetectOptions options,
                                       ProgressListener listener, Cancellation cancellation) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(options, "options");
        NativeAnnotatedImage n = new NativeAnnotatedImage(image);
        NativeDetectOptions o = new NativeDetectOptions(options);
        NativeProgress progress = startProgress(listener, cancellation);
        return call(h -> {
            NativeDetections out = new NativeDetections();
            NativeBridge.pseudoLabel(h, n, ringUm, threshold, o, progress, out);
            return detectionResult(out);
        });
    }

    /**
     * Fine-tunes this model on annotated images and writes the new model to {@code output}
     * (atomically; never this model's own file). With a checkpoint, an interrupted run can be
     * resumed and ends with the same weights.
     */
    public FinetuneResult finetune(List<AnnotatedImage> images, FinetuneOptions options, Path output, ProgressListener listener,
                                   Cancellation cancellation) {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(output, "output");
        if (images.isEmpty()) throw new IllegalArgumentException("fine-tuning needs at least one annotated image");
        NativeAnnotatedImage[] n = images.stream().map(NativeAnnotatedImage::new).toArray(NativeAnnotatedImage[]::new);
        // The engine refuses an output or checkpoint that is the base model's file (one check for every front end).
        String checkpoint = (options.checkpoint() == null ? Path.of(output + ".ckpt") : options.checkpoint()).toString();
        String provenance = "{\"caller\":\"muse-engine Java API\",\"base_model_file\":" + jsonString(String.valueOf(file))
                + ",\"images\":[" + String.join(",", images.stream().map(i -> jsonString(imageName(i))).toList()) + "]}";
        NativeFinetuneOptions o = new NativeFinetuneOptions(options, checkpoint, output.toString(), provenance);
        NativeProgress progress = startProgress(listener, cancellation);
        NativeFinetuneResult r = call(h -> {
            NativeFinetuneResult out = new NativeFinetuneResult();
            NativeBridge.finetune(h, n, o, progress, out);
            return out;
        });
        return new FinetuneResult(output, r.history, r.regions, r.nuclei, r.resumedAfterEpoch, r.cacheSeconds,
                r.adaptedTiles, r.adaptWeight, r.adaptWeightsTried > 0, Arrays.asList(r.newClasses));
    }

    /**
     * Frees the native model; waits for calls in other threads to finish. Idempotent. Must not
     * be called from a listener or pixel source of a running call on this model (it would wait
     * for itself): that throws IllegalStateException.
     */
    @Override
    public void close() {
        if (lock.getReadHoldCount() > 0) {
            throw new IllegalStateException("close() called from inside a running call on " + file);
        }
        lock.writeLock().lock();
        try {
            if (handle != 0) NativeBridge.freeModel(handle);
            handle = 0;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private DetectionResult detect(String path, NativePixelFeed feed, DetectOptions options, ProgressListener listener,
                                   Cancellation cancellation) {
        Objects.requireNonNull(options, "options");
        NativeDetectOptions o = new NativeDetectOptions(options);
        NativeProgress progress = startProgress(listener, cancellation);
        return call(h -> {
            NativeDetections out = new NativeDetections();
            NativeBridge.detect(h, path, feed, o, progress, out);
            return detectionResult(out);
        });
    }

    private interface NativeCall<T> {
        T apply(long handle);
    }

    /** Runs a native call under the read lock, so that close() cannot free the model under it. */
    private <T> T call(NativeCall<T> c) {
        lock.readLock().lock();
        try {
            if (handle == 0) throw new IllegalStateException("the model " + file + " is closed");
            return c.apply(handle);
        } finally {
            lock.readLock().unlock();
        }
    }

    private static NativeProgress startProgress(ProgressListener listener, Cancellation cancellation) {
        NativeProgress p = new NativeProgress(listener, cancellation);
        if (p.stopRequested()) throw new CancellationException("cancelled before it started");
        return p;
    }

    private static String imageName(AnnotatedImage image) {
        return image.file() != null ? image.file().toString() : image.source().name();
    }

    /** A JSON string literal (provenance is JSON; names may hold quotes, backslashes, anything). */
    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static double[][][] rings(List<Region> regions) {
        double[][][] out = new double[regions.size()][][];
        for (int i = 0; i < regions.size(); i++) {
            Region r = regions.get(i);
            out[i] = new double[1 + r.holes().size()][];
            out[i][0] = r.outer();
            for (int k = 0; k < r.holes().size(); k++) out[i][k + 1] = r.holes().get(k).clone();
        }
        return out;
    }

    private DetectionResult detectionResult(NativeDetections r) {
        int k = info.classes().size();
        List<Detection> detections = new ArrayList<>(r.classes.length);
        for (int i = 0; i < r.classes.length; i++) {
            detections.add(new Detection(r.xy[2 * i], r.xy[2 * i + 1], r.classes[i], info.classOf(r.classes[i]).name(), r.scores[i],
                    Arrays.copyOfRange(r.probabilities, i * k, (i + 1) * k)));
        }
        return new DetectionResult(detections, r.tilesTotal, r.tilesPlanned, r.tilesDone, r.tilesFailed, r.seconds, r.mpp,
                Arrays.asList(r.failures));
    }

    private static ModelInfo readInfo(long handle) {
        NativeModelInfo r = new NativeModelInfo();
        NativeBridge.modelInfo(handle, r);
        List<NucleusClass> classes = new ArrayList<>();
        for (int c = 0; c < r.classNames.length; c++) classes.add(NucleusClass.fromPacked(r.classNames[c], r.classRgb[c]));
        return new ModelInfo(r.arch, r.mpp, r.imageSize, classes, r.scoreThreshold, r.mergeRadiusUm, r.proposalStridePx,
                r.provenanceJson);
    }
}
