package dev.caption.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image bytes to 8-bit RGB the way PIL's {@code image.convert("RGB")} does: palette images are looked up
 * (transparency ignored), alpha is dropped without compositing, gray is replicated. Animated formats give their
 * first frame.
 *
 * <p>The pixel count is read from the header and checked against a limit before any pixel is decoded, so a
 * decompression bomb (a tiny file claiming 100k × 100k pixels) is refused without allocating it.
 */
public final class ImageDecoder {

    /** PIL's own default bomb limit (Image.MAX_IMAGE_PIXELS) is 89,478,485; ours is stricter. */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

    private final long maxPixels;

    public ImageDecoder(long maxPixels) {
        this.maxPixels = maxPixels;
    }

    public ImageDecoder() {
        this(DEFAULT_MAX_PIXELS);
    }

    public RgbImage decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new ImageDecodeException("no image bytes");
        }
        try (ImageInputStream stream = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
            if (!readers.hasNext()) {
                throw new ImageDecodeException("not a supported image (no decoder recognises these " + bytes.length
                        + " bytes)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(stream, true, true);
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width < 1 || height < 1) {
                    throw new ImageDecodeException("image header gives an empty size " + width + "x" + height);
                }
                if (width * height > maxPixels) {
                    throw new ImageDecodeException("image of " + width + "x" + height + " = " + width * height
                            + " pixels exceeds the limit of " + maxPixels + " (decompression bomb?)");
                }
                BufferedImage image = reader.read(0);
                return toRgb(image);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ImageDecodeException ide) {
                throw ide;
            }
            throw new ImageDecodeException("corrupt or truncated image: " + e.getMessage(), e);
        }
    }

    /** PIL's convert("RGB") of what the decoder produced, from the raster (no colour management). */
    static RgbImage toRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
        ColorModel cm = image.getColorModel();
        byte[] rgb = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
        int bands = raster.getNumBands();
        int bits = raster.getSampleModel().getSampleSize(0);
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 3;
                if (cm instanceof IndexColorModel icm) {
                    int index = row[x];
                    rgb[o] = (byte) icm.getRed(index);
                    rgb[o + 1] = (byte) icm.getGreen(index);
                    rgb[o + 2] = (byte) icm.getBlue(index);
                } else if (bands <= 2) {                  // gray, gray + alpha
                    // Pillow opens 16-bit gray as mode I;16 and convert("RGB") clips it to 0..255
                    byte g = (byte) (bits > 8 ? Math.min(row[x * bands], 255) : to8(row[x * bands], bits));
                    rgb[o] = g;
                    rgb[o + 1] = g;
                    rgb[o + 2] = g;
                } else {                                  // RGB, RGBA: alpha dropped, not composited
                    rgb[o] = (byte) to8(row[x * bands], bits);
                    rgb[o + 1] = (byte) to8(row[x * bands + 1], bits);
                    rgb[o + 2] = (byte) to8(row[x * bands + 2], bits);
                }
            }
        }
        return new RgbImage(w, h, rgb);
    }

    /** 16-bit colour samples keep their high byte (as Pillow reads 16-bit RGB PNGs); 1/2/4-bit ones are scaled. */
    private static int to8(int sample, int bits) {
        if (bits == 8) {
            return sample;
        }
        if (bits > 8) {
            return sample >>> (bits - 8);
        }
        return sample * 255 / ((1 << bits) - 1);
    }
}
