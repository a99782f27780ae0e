package qupath.ext.muse;

import java.awt.image.BufferedImage;
import java.util.Arrays;

/** BufferedImage pixels as the engine's RGB bytes. */
public final class RgbPixels {
    private RgbPixels() { }

    /** A white canvas of width x height RGB pixels. */
    public static byte[] whiteCanvas(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        Arrays.fill(rgb, (byte) 255);
        return rgb;
    }

    /**
     * Copies `image` into the canvas at (destX, destY), scaled to destWidth x destHeight when its
     * size differs by rounding (nearest pixel: the difference is at most a pixel or two).
     * Transparent pixels count as white (empty glass); any image type is accepted.
     */
    public static void paste(BufferedImage image, byte[] canvas, int canvasWidth, int canvasHeight, int destX, int destY,
                             int destWidth, int destHeight) {
        int iw = image.getWidth(), ih = image.getHeight();
        int[] row = new int[iw];
        for (int y = 0; y < destHeight; y++) {
            int cy = destY + y;
            if (cy < 0 || cy >= canvasHeight) continue;
            int sy = Math.min(ih - 1, (int) ((long) y * ih / destHeight));
            image.getRGB(0, sy, iw, 1, row, 0, iw);
            for (int x = 0; x < destWidth; x++) {
                int cx = destX + x;
                if (cx < 0 || cx >= canvasWidth) continue;
                int argb = row[Math.min(iw - 1, (int) ((long) x * iw / destWidth))];
                int a = argb >>> 24;
                int o = (cy * canvasWidth + cx) * 3;
                canvas[o] = (byte) blend((argb >> 16) & 0xFF, a);
                canvas[o + 1] = (byte) blend((argb >> 8) & 0xFF, a);
                canvas[o + 2] = (byte) blend(argb & 0xFF, a);
            }
        }
    }

    private static int blend(int c, int alpha) {
        return (c * alpha + 255 * (255 - alpha) + 127) / 255;
    }
}
