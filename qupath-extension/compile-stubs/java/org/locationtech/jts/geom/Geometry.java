// Compile-only declaration of JTS API as QuPath 0.5.1 (JTS 1.19) and 0.6.0 (JTS 1.20) ship it;
// written for this project; never shipped.
package org.locationtech.jts.geom;
public abstract class Geometry {
    public int getNumGeometries() { throw new UnsupportedOperationException("compile-only declaration"); }
    public Geometry getGeometryN(int n) { throw new UnsupportedOperationException("compile-only declaration"); }
    public abstract Coordinate[] getCoordinates();
    public abstract boolean isEmpty();
}
