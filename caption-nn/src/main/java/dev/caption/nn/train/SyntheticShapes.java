package dev.caption.nn.train;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import javax.imageio.ImageIO;

/**
 * A synthetic captioning dataset for tests and demos without real data: a coloured shape on a plain background,
 * with five templated captions that name the colour, the shape and the background. Seeded and reproducible.
 */
public final class SyntheticShapes {

    private static final String[] COLORS = {"red", "green", "blue", "yellow", "purple", "orange"};
    private static final Color[] RGB = {new Color(220, 30, 30), new Color(30, 170, 60), new Color(40, 70, 220),
        new Color(240, 220, 40), new Color(140, 50, 170), new Color(245, 140, 20)};
    private static final String[] SHAPES = {"circle", "square", "triangle"};
    private static final String[] BACKGROUNDS = {"white", "black", "gray"};
    private static final Color[] BG = {Color.WHITE, Color.BLACK, new Color(128, 128, 128)};

    /** One image: PNG bytes and five captions. */
    public record Sample(String id, byte[] png, List<String> captions) {
    }

    private SyntheticShapes() {
    }

    /** {@code count} samples of {@code size}×{@code size} pixels, ids {@code shape-00000...}. */
    public static List<Sample> generate(int count, int size, long seed) {
        Random random = new Random(seed);
        List<Sample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int c = random.nextInt(COLORS.length);
            int s = random.nextInt(SHAPES.length);
            int b = random.nextInt(BACKGROUNDS.length);
            out.add(new Sample(String.format("shape-%05d", i), render(size, RGB[c], s, BG[b], random),
                    captions(COLORS[c], SHAPES[s], BACKGROUNDS[b])));
        }
        return out;
    }

    static List<String> captions(String color, String shape, String background) {
        return List.of("A " + color + " " + shape + " on a " + background + " background.",
                "A " + background + " picture with a " + color + " " + shape + " in it.",
                "A single " + color + " " + shape + ".",
                "There is a " + color + " " + shape + " in the middle.",
                "A simple drawing of a " + color + " " + shape + ".");
    }

    private static byte[] render(int size, Color color, int shape, Color background, Random random) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(background);
        g.fillRect(0, 0, size, size);
        int r = size / 4 + random.nextInt(Math.max(1, size / 8));
        int cx = size / 2 + random.nextInt(Math.max(1, size / 8)) - size / 16;
        int cy = size / 2 + random.nextInt(Math.max(1, size / 8)) - size / 16;
        g.setColor(color);
        switch (shape) {
            case 0 -> g.fillOval(cx - r, cy - r, 2 * r, 2 * r);
            case 1 -> g.fillRect(cx - r, cy - r, 2 * r, 2 * r);
            default -> g.fillPolygon(new Polygon(new int[] {cx, cx - r, cx + r}, new int[] {cy - r, cy + r, cy + r}, 3));
        }
        g.dispose();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
