package io.github.musequpath.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * An image with the areas a user annotated and the classified nuclei they clicked. An area
 * counts as annotated when it holds at least one point, or when it is named "no nuclei"; every
 * nucleus inside an annotated area must be among the points (the rest of it is background).
 * Pixels come either from a {@link PixelSource} or from a slide file the engine opens.
 */
public final class AnnotatedImage {
    private final PixelSource source;
    private final Path file;
    private final double mpp;
    private final List<Region> areas;
    private final List<ClassifiedPoints> points;

    private AnnotatedImage(PixelSource source, Path file, double mpp, List<Region> areas, List<ClassifiedPoints> points) {
        this.source = source;
        this.file = file;
        if (!(mpp >= 0)) throw new IllegalArgumentException("mpp must be >= 0 (0 = from the image), got " + mpp);
        this.mpp = mpp;
        this.areas = List.copyOf(areas);
        this.points = List.copyOf(points);
    }

    /** Pixels from the caller; MPP from the source. */
    public static AnnotatedImage of(PixelSource source, List<Region> areas, List<ClassifiedPoints> points) {
        return new AnnotatedImage(Objects.requireNonNull(source, "source"), null, 0, areas, points);
    }

    /** Pixels from a slide or image file the engine opens; MPP from the file. */
    public static AnnotatedImage ofFile(Path slide, List<Region> areas, List<ClassifiedPoints> points) {
        return new AnnotatedImage(null, Objects.requireNonNull(slide, "slide"), 0, areas, points);
    }

    /** The same image with an explicit level-0 MPP (for files and sources that do not say). */
    public AnnotatedImage withMpp(double newMpp) {
        return new AnnotatedImage(source, file, newMpp, areas, points);
    }

    public PixelSource source() {
        return source;
    }

    public Path file() {
        return file;
    }

    public double mpp() {
        return mpp;
    }

    public List<Region> areas() {
        return areas;
    }

    public List<ClassifiedPoints> points() {
        return points;
    }
}
