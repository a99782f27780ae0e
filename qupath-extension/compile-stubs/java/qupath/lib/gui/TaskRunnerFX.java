// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
// The real class extends qupath.lib.plugins.AbstractTaskRunner; only the members we call are declared.
package qupath.lib.gui;
public class TaskRunnerFX {
    public TaskRunnerFX(final QuPathGUI qupath) { throw new UnsupportedOperationException("compile-only declaration"); }
    public qupath.lib.plugins.SimpleProgressMonitor makeProgressMonitor() { throw new UnsupportedOperationException("compile-only declaration"); }
}
