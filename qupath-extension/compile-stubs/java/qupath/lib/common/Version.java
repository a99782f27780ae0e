// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.common;
public class Version {
    public static Version parse(String versionString) { throw new UnsupportedOperationException("compile-only declaration"); }
}
