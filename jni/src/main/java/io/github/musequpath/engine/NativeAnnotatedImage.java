package io.github.musequpath.engine;

import java.util.List;

/** An AnnotatedImage as plain arrays for native code. */
final class NativeAnnotatedImage {
    final String path;            // a slide file, or null
    final NativePixelFeed feed;   // or pixels from Java
    final double mpp;             // 0 = from the image
    final double[][][] areas;     // per area: outer, holes...
    final String[] areaNames;
    final String[] pointClasses;  // per point set
    final int[] pointRgb;         // -1 = no colour
    final double[][] pointXy;

    NativeAnnotatedImage(AnnotatedImage image) {
        path = image.file() == null ? null : image.file().toString();
        feed = image.source() == null ? null : new NativePixelFeed(image.source());
        mpp = image.mpp();
        areas = MuseModel.rings(image.areas());
        areaNames = image.areas().stream().map(Region::name).toArray(String[]::new);
        List<ClassifiedPoints> points = image.points();
        pointClasses = points.stream().map(ClassifiedPoints::className).toArray(String[]::new);
        pointRgb = points.stream().mapToInt(ClassifiedPoints::rgb).toArray();
        pointXy = points.stream().map(ClassifiedPoints::xy).toArray(double[][]::new);
    }
}
