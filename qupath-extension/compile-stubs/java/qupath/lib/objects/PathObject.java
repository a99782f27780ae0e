// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.objects;
import java.util.Collection;
public abstract class PathObject {
    public abstract qupath.lib.roi.interfaces.ROI getROI();
    public abstract qupath.lib.objects.classes.PathClass getPathClass();
    public String getName() { throw new UnsupportedOperationException("compile-only declaration"); }
    public void setName(String name) { throw new UnsupportedOperationException("compile-only declaration"); }
    public boolean isAnnotation() { throw new UnsupportedOperationException("compile-only declaration"); }
    public boolean isDetection() { throw new UnsupportedOperationException("compile-only declaration"); }
    public synchronized qupath.lib.measurements.MeasurementList getMeasurementList() { throw new UnsupportedOperationException("compile-only declaration"); }
    public PathObject getParent() { throw new UnsupportedOperationException("compile-only declaration"); }
    public Collection<PathObject> getChildObjects() { throw new UnsupportedOperationException("compile-only declaration"); }
    public void clearChildObjects() { throw new UnsupportedOperationException("compile-only declaration"); }
    public void addChildObjects(Collection<? extends PathObject> pathObjects) { throw new UnsupportedOperationException("compile-only declaration"); }
}
