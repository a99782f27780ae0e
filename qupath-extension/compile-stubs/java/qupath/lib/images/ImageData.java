// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.images;
public class ImageData<T> {
    public qupath.lib.images.servers.ImageServer<T> getServer() { throw new UnsupportedOperationException("compile-only declaration"); }
    public qupath.lib.objects.hierarchy.PathObjectHierarchy getHierarchy() { throw new UnsupportedOperationException("compile-only declaration"); }
    public qupath.lib.plugins.workflow.Workflow getHistoryWorkflow() { throw new UnsupportedOperationException("compile-only declaration"); }
}
