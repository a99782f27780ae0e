// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.io;
public class PathIO {
    public static enum GeoJsonExportOptions { PRETTY_JSON, EXCLUDE_MEASUREMENTS, FEATURE_COLLECTION }
    public static void exportObjectsAsGeoJSON(java.nio.file.Path path, java.util.Collection<? extends qupath.lib.objects.PathObject> pathObjects,
                                              GeoJsonExportOptions... options) throws java.io.IOException { throw new UnsupportedOperationException("compile-only declaration"); }
}
