// Compile-only declaration of JTS API as QuPath 0.5.1 (JTS 1.19) and 0.6.0 (JTS 1.20) ship it;
// written for this project; never shipped.
package org.locationtech.jts.geom;
public class LineString extends Geometry {
    public Coordinate[] getCoordinates() { throw new UnsupportedOperationException("compile-only declaration"); }
    public boolean isEmpty() { throw new UnsupportedOperationException("compile-only declaration"); }
}
