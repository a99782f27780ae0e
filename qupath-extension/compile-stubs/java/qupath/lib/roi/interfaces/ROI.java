// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.roi.interfaces;
public interface ROI {
    java.util.List<qupath.lib.geom.Point2> getAllPoints();
    boolean isArea();
    boolean isPoint();
    org.locationtech.jts.geom.Geometry getGeometry();
    double getCentroidX();
    double getCentroidY();
}
