package qupath.ext.muse;

import io.github.musequpath.engine.PixelSource;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import qupath.lib.images.servers.ImageServer;
import qupath.lib.images.servers.PixelCalibration;
import qupath.lib.regions.RegionRequest;

/**
 * An image open in QuPath as the engine's pixel source: any format QuPath reads, its pyramid
 * levels, its pixel size. The engine picks the level and positions; each read becomes one
 * RegionRequest (QuPath caches tiles, and its servers may be read from several threads).
 */
final class ImageServerPixelSource implements PixelSource {

    /** Reads a level-0 rectangle at a downsample, as ImageServer.readRegion(RegionRequest) does. */
    interface RegionReader {
        BufferedImage read(double downsample, int x, int y, int width, int height) throws IOException;
    }

    private final String name;
    private final int width, height;
    private final double mpp;
    private final RegionReader reader;
    private final List<Level> levels = new ArrayList<>();

    ImageServerPixelSource(ImageServer<BufferedImage> server) {
        this(server.getPath(), server.getWidth(), server.getHeight(), server.getPreferredDownsamples(), micronsPerPixel(server),
                (ds, x, y, w, h) -> server.readRegion(RegionRequest.createInstance(server.getPath(), ds, x, y, w, h)));
    }

    /** @param downsamples QuPath's preferred downsamples, any order; full resolution is added when missing */
    ImageServerPixelSource(String name, int width, int height, double[] downsamples, double mpp, RegionReader reader) {
        this.name = name;
        this.width = width;
        this.height = height;
        this.mpp = mpp;
        this.reader = reader;
        double[] sorted = downsamples == null ? new double[0] : downsamples.clone();
        java.util.Arrays.sort(sorted);
        levels.add(level(1.0));  // the engine needs full resolution first
        for (double ds : sorted) {
            if (ds > levels.get(levels.size() - 1).downsample() + 1e-6 && Double.isFinite(ds)) levels.add(level(ds));
        }
    }

    private static double micronsPerPixel(ImageServer<BufferedImage> server) {
        PixelCalibration cal = server.getPixelCalibration();
        return cal.hasPixelSizeMicrons() ? cal.getAveragedPixelSizeMicrons() : 0;
    }

    private Level level(double ds) {
        return new Level((long) Math.ceil(width / ds), (long) Math.ceil(height / ds), ds);
    }

    @Override
    public String name() {
        return name;
    }

    /** Micrometres per pixel from QuPath's calibration; 0 when the image has none. */
    @Override
    public double mpp() {
        return mpp;
    }

    @Override
    public List<Level> levels() {
        return levels;
    }

    @Override
    public byte[] readRgb(int level, long x, long y, int w, int h) throws IOException {
        TileRequest t = TileRequest.of(width, height, levels.get(level).downsample(), x, y, w, h);
        byte[] canvas = RgbPixels.whiteCanvas(w, h);
        if (t.isEmpty()) return canvas;
        BufferedImage img = reader.read(t.downsample(), t.x(), t.y(), t.width(), t.height());
        if (img == null) throw new IOException(name + ": no pixels at " + t.x() + ", " + t.y());
        RgbPixels.paste(img, canvas, w, h, t.destX(), t.destY(), t.destWidth(), t.destHeight());
        return canvas;
    }
}
