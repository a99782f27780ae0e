// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.plugins;
public interface SimpleProgressMonitor {
    void startMonitoring(String message, int maxProgress, boolean mayCancel);
    void updateProgress(int increment, String message, qupath.lib.regions.ImageRegion region);
    void pluginCompleted(String message);
    boolean cancelled();
}
