// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.images.servers;
public interface ImageServer<T> {
    T readRegion(qupath.lib.regions.RegionRequest request) throws java.io.IOException;
    int getWidth();
    int getHeight();
    String getPath();
    PixelCalibration getPixelCalibration();
    double[] getPreferredDownsamples();
    boolean isRGB();
}
