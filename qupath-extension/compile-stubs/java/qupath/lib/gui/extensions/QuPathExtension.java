// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.gui.extensions;
public interface QuPathExtension {
    void installExtension(qupath.lib.gui.QuPathGUI qupath);
    String getName();
    String getDescription();
    default qupath.lib.common.Version getQuPathVersion() { throw new UnsupportedOperationException("compile-only declaration"); }
    default qupath.lib.common.Version getVersion() { throw new UnsupportedOperationException("compile-only declaration"); }
}
