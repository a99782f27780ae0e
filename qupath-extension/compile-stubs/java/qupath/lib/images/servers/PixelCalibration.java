// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.images.servers;
public class PixelCalibration {
    public boolean hasPixelSizeMicrons() { throw new UnsupportedOperationException("compile-only declaration"); }
    public double getAveragedPixelSizeMicrons() { throw new UnsupportedOperationException("compile-only declaration"); }
}
