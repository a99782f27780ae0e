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
    private final ImageServer<BufferedImage> server;
    private final List<Level> levels = new ArrayList<>();

    ImageServerPixelSource(ImageServer<BufferedImage> server) {
        this.server = server;
        double last = 0;
        for (double ds : server.getPreferredDownsamples()) {
            if (levels.isEmpty() && Math.abs(ds - 1) > 1e-6) levels.add(level(1.0));  // the engine needs full resolution first
            if (ds <= last + 1e-6 || ds < 1) continue;
            levels.add(level(ds));
            last = ds;
        }
        if (levels.isEmpty()) levels.add(level(1.0));
    }

    private Level level(double ds) {
        return new Level((long) Math.ceil(server.getWidth() / ds), (long) Math.ceil(server.getHeight() / ds), ds);
    }

    @Override
    public String name() {
        return server.getPath();
    }

    /** Micrometres per pixel from QuPath's calibration; 0 when the image has none. */
    @Override
    public double mpp() {
        PixelCalibration cal = server.getPixelCalibration();
        return cal.hasPixelSizeMicrons() ? cal.getAveragedPixelSizeMicrons() : 0;
    }

    @Override
    public List<Level> levels() {
        return levels;
    }

    @Override
    public byte[] readRgb(int level, long x, long y, int width, int height) throws IOException {
        TileRequest t = TileRequest.of(server.getWidth(), server.getHeight(), levels.get(level).downsample(), x, y, width, height);
        byte[] canvas = RgbPixels.whiteCanvas(width, height);
        if (t.isEmpty()) return canvas;
        BufferedImage img = server.readRegion(RegionRequest.createInstance(server.getPath(), t.downsample(), t.x(), t.y(), t.width(), t.height()));
        if (img == null) throw new IOException(server.getPath() + ": no pixels at " + t.x() + ", " + t.y());
        RgbPixels.paste(img, canvas, width, height, t.destX(), t.destY(), t.destWidth(), t.destHeight());
        return canvas;
    }
}
