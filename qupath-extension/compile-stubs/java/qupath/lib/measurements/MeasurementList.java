// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.measurements;
public interface MeasurementList extends java.io.Serializable, AutoCloseable {
    void put(String name, double value);
    double get(String name);
    @Override
    void close();
}
