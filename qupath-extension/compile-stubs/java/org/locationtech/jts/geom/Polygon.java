// Compile-only declaration of JTS API as QuPath 0.5.1 (JTS 1.19) and 0.6.0 (JTS 1.20) ship it;
// written for this project; never shipped.
package org.locationtech.jts.geom;
public class Polygon extends Geometry {
    public LinearRing getExteriorRing() { throw new UnsupportedOperationException("compile-only declaration"); }
    public int getNumInteriorRing() { throw new UnsupportedOperationException("compile-only declaration"); }
    public LinearRing getInteriorRingN(int n) { throw new UnsupportedOperationException("compile-only declaration"); }
    public Coordinate[] getCoordinates() { throw new UnsupportedOperationException("compile-only declaration"); }
    public boolean isEmpty() { throw new UnsupportedOperationException("compile-only declaration"); }
}
