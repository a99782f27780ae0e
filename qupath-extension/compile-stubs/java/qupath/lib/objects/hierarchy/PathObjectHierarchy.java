// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.objects.hierarchy;
import java.util.Collection;
import qupath.lib.objects.PathObject;
public class PathObjectHierarchy {
    public qupath.lib.objects.hierarchy.events.PathObjectSelectionModel getSelectionModel() { throw new UnsupportedOperationException("compile-only declaration"); }
    public PathObject getRootObject() { throw new UnsupportedOperationException("compile-only declaration"); }
    public Collection<PathObject> getAnnotationObjects() { throw new UnsupportedOperationException("compile-only declaration"); }
    public Collection<PathObject> getDetectionObjects() { throw new UnsupportedOperationException("compile-only declaration"); }
    public synchronized boolean addObjects(Collection<? extends PathObject> pathObjects) { throw new UnsupportedOperationException("compile-only declaration"); }
    public synchronized void removeObjects(Collection<? extends PathObject> pathObjects, boolean keepChildren) { throw new UnsupportedOperationException("compile-only declaration"); }
    public void fireHierarchyChangedEvent(Object source) { throw new UnsupportedOperationException("compile-only declaration"); }
}
