// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.gui;
public class QuPathGUI {
    public static QuPathGUI getInstance() { throw new UnsupportedOperationException("compile-only declaration"); }
    public javafx.scene.control.Menu getMenu(final String name, final boolean createMenu) { throw new UnsupportedOperationException("compile-only declaration"); }
    public qupath.lib.images.ImageData<java.awt.image.BufferedImage> getImageData() { throw new UnsupportedOperationException("compile-only declaration"); }
    public javafx.stage.Stage getStage() { throw new UnsupportedOperationException("compile-only declaration"); }
    public qupath.lib.gui.panes.PreferencePane getPreferencePane() { throw new UnsupportedOperationException("compile-only declaration"); }
    public qupath.lib.projects.Project<java.awt.image.BufferedImage> getProject() { throw new UnsupportedOperationException("compile-only declaration"); }
    public javafx.collections.ObservableList<qupath.lib.objects.classes.PathClass> getAvailablePathClasses() { throw new UnsupportedOperationException("compile-only declaration"); }
}
