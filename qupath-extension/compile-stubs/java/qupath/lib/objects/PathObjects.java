// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.objects;
public class PathObjects {
    public static PathObject createDetectionObject(final qupath.lib.roi.interfaces.ROI roi, final qupath.lib.objects.classes.PathClass pathClass) { throw new UnsupportedOperationException("compile-only declaration"); }
    public static PathObject createAnnotationObject(final qupath.lib.roi.interfaces.ROI roi, final qupath.lib.objects.classes.PathClass pathClass) { throw new UnsupportedOperationException("compile-only declaration"); }
}
