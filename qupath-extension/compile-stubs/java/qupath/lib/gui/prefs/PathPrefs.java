// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.gui.prefs;
public class PathPrefs {
    public static javafx.beans.property.StringProperty createPersistentPreference(final String name, final String defaultValue) { throw new UnsupportedOperationException("compile-only declaration"); }
    public static javafx.beans.property.IntegerProperty createPersistentPreference(final String name, final int defaultValue) { throw new UnsupportedOperationException("compile-only declaration"); }
    public static javafx.beans.property.DoubleProperty createPersistentPreference(final String name, final double defaultValue) { throw new UnsupportedOperationException("compile-only declaration"); }
    public static javafx.beans.property.BooleanProperty createPersistentPreference(final String name, final boolean defaultValue) { throw new UnsupportedOperationException("compile-only declaration"); }
}
