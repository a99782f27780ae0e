// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.roi;
public class ROIs {
    public static qupath.lib.roi.interfaces.ROI createPointsROI(double x, double y, qupath.lib.regions.ImagePlane plane) { throw new UnsupportedOperationException("compile-only declaration"); }
    public static qupath.lib.roi.interfaces.ROI createEllipseROI(double x, double y, double width, double height, qupath.lib.regions.ImagePlane plane) { throw new UnsupportedOperationException("compile-only declaration"); }
    public static qupath.lib.roi.interfaces.ROI createPointsROI(double[] x, double[] y, qupath.lib.regions.ImagePlane plane) { throw new UnsupportedOperationException("compile-only declaration"); }
}
