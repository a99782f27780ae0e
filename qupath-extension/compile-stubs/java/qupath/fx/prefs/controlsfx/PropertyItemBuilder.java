// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.fx.prefs.controlsfx;
public class PropertyItemBuilder<T> {
    public PropertyItemBuilder(javafx.beans.property.Property<T> prop, final Class<? extends T> cls) { throw new UnsupportedOperationException("compile-only declaration"); }
    public PropertyItemBuilder<T> name(String name) { throw new UnsupportedOperationException("compile-only declaration"); }
    public PropertyItemBuilder<T> category(String category) { throw new UnsupportedOperationException("compile-only declaration"); }
    public PropertyItemBuilder<T> description(String description) { throw new UnsupportedOperationException("compile-only declaration"); }
    public PropertyItemBuilder<T> choices(java.util.Collection<T> choices) { throw new UnsupportedOperationException("compile-only declaration"); }
    public org.controlsfx.control.PropertySheet.Item build() { throw new UnsupportedOperationException("compile-only declaration"); }
}
