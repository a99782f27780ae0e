package qupath.ext.muse;

/**
 * How one engine read (a level's pixels at a level-0 position) becomes a QuPath region request:
 * the part inside the image is requested at the level's downsample, and placed into a white
 * canvas of the exact size the engine asked for (QuPath may round the size of a downsampled
 * request by a pixel, and cannot read outside the image).
 *
 * @param x          level-0 left of the part inside the image
 * @param y          level-0 top
 * @param width      level-0 width requested (0 when nothing of it lies inside the image)
 * @param height     level-0 height requested
 * @param downsample level-0 pixels per level pixel
 * @param destX      where that part goes in the canvas, level pixels
 * @param destY
 * @param destWidth  its size in the canvas, level pixels
 * @param destHeight
 */
public record TileRequest(int x, int y, int width, int height, double downsample, int destX, int destY, int destWidth,
                          int destHeight) {

    /**
     * @param imageWidth  level-0 width of the image
     * @param imageHeight level-0 height
     * @param downsample  the level's downsample
     * @param x0          level-0 left of the engine's read (may be negative)
     * @param y0          level-0 top
     * @param w           width in level pixels
     * @param h           height in level pixels
     */
    public static TileRequest of(long imageWidth, long imageHeight, double downsample, long x0, long y0, int w, int h) {
        if (!(downsample >= 1)) throw new IllegalArgumentException("downsample must be >= 1, got " + downsample);
        if (w <= 0 || h <= 0) throw new IllegalArgumentException("an empty read: " + w + "x" + h);
        // The read covers level-0 [x0, x0 + w * ds) x [y0, y0 + h * ds); keep what lies in the image.
        long x1 = x0 + Math.round(w * downsample), y1 = y0 + Math.round(h * downsample);
        long cx0 = Math.max(0, x0), cy0 = Math.max(0, y0), cx1 = Math.min(imageWidth, x1), cy1 = Math.min(imageHeight, y1);
        if (cx1 <= cx0 || cy1 <= cy0) return new TileRequest(0, 0, 0, 0, downsample, 0, 0, 0, 0);
        int dx = (int) Math.round((cx0 - x0) / downsample), dy = (int) Math.round((cy0 - y0) / downsample);
        int dw = (int) Math.min(w - dx, Math.max(1, Math.round((cx1 - cx0) / downsample)));
        int dh = (int) Math.min(h - dy, Math.max(1, Math.round((cy1 - cy0) / downsample)));
        return new TileRequest((int) cx0, (int) cy0, (int) (cx1 - cx0), (int) (cy1 - cy0), downsample, dx, dy, dw, dh);
    }

    /** True when the read lies wholly outside the image (the canvas stays white). */
    public boolean isEmpty() {
        return width == 0 || height == 0;
    }
}
