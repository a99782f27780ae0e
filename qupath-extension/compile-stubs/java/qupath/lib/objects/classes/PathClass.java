// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.objects.classes;
public class PathClass {
    public static PathClass fromString(String string, Integer color) { throw new UnsupportedOperationException("compile-only declaration"); }
    public String getName() { throw new UnsupportedOperationException("compile-only declaration"); }
    public Integer getColor() { throw new UnsupportedOperationException("compile-only declaration"); }
}
