// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.regions;
public class RegionRequest {
    public static RegionRequest createInstance(String path, double downsample, int x, int y, int width, int height) { throw new UnsupportedOperationException("compile-only declaration"); }
}
