package qupath.ext.muse;

import io.github.musequpath.engine.Detection;
import io.github.musequpath.engine.ModelInfo;
import io.github.musequpath.engine.NucleusClass;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one detected nucleus becomes in QuPath, decided without QuPath types: a detection object
 * with a point (or a small ellipse) at the nucleus, the model's class name and colour, and its
 * probabilities as measurements. The same names as the CLI's GeoJSON output.
 *
 * @param x            level-0 pixels
 * @param y            level-0 pixels
 * @param radiusPx     ellipse radius in level-0 pixels; 0 = a point
 * @param className    PathClass name
 * @param rgb          PathClass colour, 0xRRGGBB
 * @param measurements name -> value, in a stable order
 */
public record NucleusObjectSpec(double x, double y, double radiusPx, String className, int rgb, Map<String, Double> measurements) {

    /** Nucleus radius drawn for ellipses, micrometres. */
    public static final double ELLIPSE_RADIUS_UM = 3.0;

    public static NucleusObjectSpec of(Detection d, ModelInfo model, double imageMpp, boolean ellipse) {
        NucleusClass cls = model.classOf(d.classIndex());
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("Score", (double) d.score());
        float[] p = d.probabilities();
        for (int i = 0; i < p.length; i++) m.put("Probability: " + model.classOf(i).name(), (double) p[i]);
        double radius = ellipse && imageMpp > 0 ? ELLIPSE_RADIUS_UM / imageMpp : 0;
        return new NucleusObjectSpec(d.x(), d.y(), radius, cls.name(), cls.packedRgb(), Collections.unmodifiableMap(m));
    }
}
