package io.github.musequpath.engine;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/** Test data made by the tests: a synthetic H&E-like image with known nuclei, and the shared files. */
final class TestImages {
    static final int SIDE = 768;
    static final double MPP = 0.5;

    private TestImages() { }

    static Path model() {
        return Path.of(System.getProperty("muse.test.model", "models/muse-default.muse"));
    }

    static Path sampleSlide() {
        return Path.of(System.getProperty("muse.test.slide", "samples/CMU-1-Small-Region.svs"));
    }

    /** Nucleus centres of {@link #syntheticRgb()}: a jittered grid, x0, y0, x1, y1, ... */
    static double[] nucleusCentres() {
        Random random = new Random(7);
        List<Double> xy = new ArrayList<>();
        for (int gy = 40; gy < SIDE - 30; gy += 44) {
            for (int gx = 40; gx < SIDE - 30; gx += 44) {
                xy.add(gx + random.nextInt(11) - 5.0);
                xy.add(gy + random.nextInt(11) - 5.0);
            }
        }
        return xy.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Pink stroma-like background with dark purple round nuclei (radius 7 px at 0.5 um/px) and a little noise. */
    static byte[] syntheticRgb() {
        double[] c = nucleusCentres();
        Random random = new Random(11);
        byte[] rgb = new byte[SIDE * SIDE * 3];
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                double r = 236, g = 178, b = 214;
                for (int i = 0; i < c.length; i += 2) {
                    double dx = x - c[i], dy = y - c[i + 1];
                    if (Math.abs(dx) > 9 || Math.abs(dy) > 9) continue;
                    double d = Math.sqrt(dx * dx + dy * dy);
                    double w = Math.max(0, Math.min(1, 7.5 - d));  // anti-aliased disc
                    r = r * (1 - w) + 72 * w;
                    g = g * (1 - w) + 38 * w;
                    b = b * (1 - w) + 128 * w;
                }
                int o = (y * SIDE + x) * 3;
                rgb[o] = clamp(r + random.nextGaussian() * 4);
                rgb[o + 1] = clamp(g + random.nextGaussian() * 4);
                rgb[o + 2] = clamp(b + random.nextGaussian() * 4);
            }
        }
        return rgb;
    }

    static RgbImageSource syntheticSource() {
        return new RgbImageSource("synthetic", SIDE, SIDE, syntheticRgb(), MPP);
    }

    /** The synthetic image as a PNG file the engine opens itself. */
    static Path syntheticPng(Path dir) throws IOException {
        byte[] rgb = syntheticRgb();
        BufferedImage img = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                int o = (y * SIDE + x) * 3;
                img.setRGB(x, y, ((rgb[o] & 0xFF) << 16) | ((rgb[o + 1] & 0xFF) << 8) | (rgb[o + 2] & 0xFF));
            }
        }
        Path file = dir.resolve("synthetic.png");
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    private static byte clamp(double v) {
        return (byte) Math.max(0, Math.min(255, Math.round(v)));
    }
}
