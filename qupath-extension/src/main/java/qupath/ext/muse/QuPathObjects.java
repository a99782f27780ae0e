package qupath.ext.muse;

import io.github.musequpath.engine.ClassifiedPoints;
import io.github.musequpath.engine.Region;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.Polygon;
import qupath.lib.geom.Point2;
import qupath.lib.measurements.MeasurementList;
import qupath.lib.objects.PathObject;
import qupath.lib.objects.PathObjects;
import qupath.lib.objects.classes.PathClass;
import qupath.lib.regions.ImagePlane;
import qupath.lib.roi.ROIs;
import qupath.lib.roi.interfaces.ROI;

/** Between QuPath objects and the engine's values: the one place that touches QuPath's object API. */
final class QuPathObjects {
    private QuPathObjects() { }

    /** A detection from a nucleus, named so that MUSE recognises it later ({@link MuseMarks}). */
    static PathObject toDetection(NucleusObjectSpec s, String name) {
        ImagePlane plane = ImagePlane.getDefaultPlane();
        ROI roi = s.radiusPx() > 0
                ? ROIs.createEllipseROI(s.x() - s.radiusPx(), s.y() - s.radiusPx(), 2 * s.radiusPx(), 2 * s.radiusPx(), plane)
                : ROIs.createPointsROI(s.x(), s.y(), plane);
        PathObject obj = PathObjects.createDetectionObject(roi, PathClass.fromString(s.className(), s.rgb()));
        obj.setName(name);
        try (MeasurementList ml = obj.getMeasurementList()) {
            for (Map.Entry<String, Double> m : s.measurements().entrySet()) ml.put(m.getKey(), m.getValue());
        }
        return obj;
    }

    /** One Points annotation (QuPath's multi-point ROI) of one class, with a name and one measurement. */
    static PathObject pointsAnnotation(String className, int rgb, double[] xy, String name, String measurement, double value) {
        double[] x = new double[xy.length / 2], y = new double[xy.length / 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = xy[2 * i];
            y[i] = xy[2 * i + 1];
        }
        PathObject obj = PathObjects.createAnnotationObject(ROIs.createPointsROI(x, y, ImagePlane.getDefaultPlane()),
                PathClass.fromString(className, rgb));
        obj.setName(name);
        try (MeasurementList ml = obj.getMeasurementList()) {
            ml.put(measurement, value);
        }
        return obj;
    }

    /** The points of a Points annotation as x, y pairs. */
    static double[] pointsOf(PathObject o) {
        List<Point2> points = o.getROI().getAllPoints();
        double[] xy = new double[points.size() * 2];
        for (int i = 0; i < points.size(); i++) {
            xy[2 * i] = points.get(i).getX();
            xy[2 * i + 1] = points.get(i).getY();
        }
        return xy;
    }

    /** A measurement of an object, NaN if it has none. */
    static double measurement(PathObject o, String name) {
        return o.getMeasurementList().get(name);
    }

    /** The centre of an object's ROI, level-0 pixels. */
    static double[] centroid(PathObject o) {
        return new double[] {o.getROI().getCentroidX(), o.getROI().getCentroidY()};
    }

    /**
     * The polygons of an area annotation (rectangle, ellipse, polygon, brush shapes with holes,
     * several pieces) as regions with the annotation's name; holes are kept, so nuclei in a hole
     * are neither labels nor background.
     */
    static List<Region> toRegions(PathObject annotation) {
        ROI roi = annotation.getROI();
        if (roi == null || !roi.isArea()) throw new IllegalArgumentException("'" + nameOf(annotation) + "' is not an area annotation");
        String name = annotation.getName() == null ? "" : annotation.getName();
        Geometry g = roi.getGeometry();
        List<Region> out = new ArrayList<>();
        for (int i = 0; i < g.getNumGeometries(); i++) {
            if (!(g.getGeometryN(i) instanceof Polygon p) || p.isEmpty()) continue;
            List<double[]> holes = new ArrayList<>();
            for (int h = 0; h < p.getNumInteriorRing(); h++) holes.add(xy(p.getInteriorRingN(h).getCoordinates()));
            out.add(new Region(name, xy(p.getExteriorRing().getCoordinates()), holes));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("'" + nameOf(annotation) + "' has no area");
        return out;
    }

    private static double[] xy(Coordinate[] ring) {
        double[] xy = new double[ring.length * 2];
        for (int i = 0; i < ring.length; i++) {
            xy[2 * i] = ring[i].x;
            xy[2 * i + 1] = ring[i].y;
        }
        return xy;
    }

    /** The classified points of Points annotations, grouped by class (unclassified ones are counted, not used). */
    static List<ClassifiedPoints> classifiedPoints(Collection<? extends PathObject> annotations, int[] unclassified) {
        Map<String, List<Double>> byClass = new LinkedHashMap<>();
        Map<String, Integer> colours = new LinkedHashMap<>();
        for (PathObject a : annotations) {
            if (!a.isAnnotation() || a.getROI() == null || !a.getROI().isPoint()) continue;
            PathClass cls = a.getPathClass();
            if (cls == null) {
                unclassified[0] += a.getROI().getAllPoints().size();
                continue;
            }
            String name = cls.toString();
            List<Double> xy = byClass.computeIfAbsent(name, k -> new ArrayList<>());
            if (cls.getColor() != null) colours.put(name, cls.getColor());
            for (Point2 p : a.getROI().getAllPoints()) {
                xy.add(p.getX());
                xy.add(p.getY());
            }
        }
        List<ClassifiedPoints> out = new ArrayList<>();
        for (Map.Entry<String, List<Double>> e : byClass.entrySet()) {
            int rgb = colours.containsKey(e.getKey()) ? colours.get(e.getKey()) & 0xFFFFFF : -1;
            out.add(new ClassifiedPoints(e.getKey(), rgb, e.getValue().stream().mapToDouble(Double::doubleValue).toArray()));
        }
        return out;
    }

    static String nameOf(PathObject o) {
        return o.getName() != null ? o.getName() : o.toString();
    }
}
