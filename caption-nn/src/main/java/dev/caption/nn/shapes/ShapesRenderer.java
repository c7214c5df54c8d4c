package dev.caption.nn.shapes;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;

import javax.imageio.ImageIO;

/**
 * Draws a {@link ShapesWorld.Scene} with Java2D. Everything but the scene varies from image to image, so that an
 * adapter trained on these images learns the world rather than one way of drawing it: the shape's size (from 44% to
 * 76% of the image) and its place near the middle, the triangle's height and tilt, a slight turn of the square, and
 * anti-aliasing on or off. Seeded: the same scene, size and random stream give the same pixels.
 */
public final class ShapesRenderer {

    private ShapesRenderer() {
    }

    /** A {@code size}×{@code size} RGB image of the scene. */
    public static BufferedImage draw(ShapesWorld.Scene scene, int size, Random random) {
        if (size < 16) {
            throw new IllegalArgumentException("images must be at least 16 pixels wide, got " + size);
        }
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, random.nextInt(4) == 0
                ? RenderingHints.VALUE_ANTIALIAS_OFF : RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(new Color(scene.background().rgb()));
        g.fillRect(0, 0, size, size);
        double r = size * (0.22 + 0.16 * random.nextDouble());          // half the shape's extent
        double cx = size * (0.43 + 0.14 * random.nextDouble());         // in the middle, give or take 7%
        double cy = size * (0.43 + 0.14 * random.nextDouble());
        java.awt.Shape outline = switch (scene.shape()) {
            case CIRCLE -> new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r);
            case SQUARE -> turned(new Rectangle2D.Double(cx - 0.9 * r, cy - 0.9 * r, 1.8 * r, 1.8 * r), cx, cy,
                    random.nextInt(3) == 0 ? (random.nextDouble() - 0.5) * Math.toRadians(10) : 0);
            case TRIANGLE -> turned(triangle(cx, cy, r, 0.8 + 0.2 * random.nextDouble()), cx, cy,
                    (random.nextDouble() - 0.5) * Math.toRadians(12));
        };
        g.setColor(new Color(scene.colour().rgb()));
        g.fill(outline);
        g.dispose();
        return img;
    }

    /** The scene as PNG bytes. */
    public static byte[] png(ShapesWorld.Scene scene, int size, Random random) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(draw(scene, size, random), "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Apex up, base 2r wide, {@code height}·2r tall, centred on (cx, cy). */
    private static Path2D triangle(double cx, double cy, double r, double height) {
        double h = 2 * r * height;
        Path2D p = new Path2D.Double();
        p.moveTo(cx, cy - h / 2);
        p.lineTo(cx - r, cy + h / 2);
        p.lineTo(cx + r, cy + h / 2);
        p.closePath();
        return p;
    }

    private static java.awt.Shape turned(java.awt.Shape s, double cx, double cy, double radians) {
        return radians == 0 ? s : AffineTransform.getRotateInstance(radians, cx, cy).createTransformedShape(s);
    }
}
