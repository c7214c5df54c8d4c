package dev.caption.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder();

    @Test
    void losslessWebpDecodesToExactlyTheSourcePixels() throws Exception {
        RgbImage webp = decoder.decode(resource("/fixtures/webp/red-circle-lossless.webp"));
        RgbImage png = decoder.decode(resource("/fixtures/webp/red-circle.png"));
        assertEquals(png.width(), webp.width());
        assertArrayEquals(png.rgb(), webp.rgb());
    }

    @Test
    void lossyWebpMatchesLibwebpWithoutFancyUpsampling() throws Exception {
        RgbImage ours = decoder.decode(resource("/fixtures/webp/tiny-lossy.webp"));
        int[] plain = diff(ours, readPpm(resource("/fixtures/webp/tiny-lossy.dwebp-nofancy.ppm")));
        int[] fancy = diff(ours, readPpm(resource("/fixtures/webp/tiny-lossy.dwebp.ppm")));
        // Pillow decodes with libwebp's default fancy upsampling, so lossy WebP is not PIL-exact (see README)
        System.out.printf("lossy WebP, TwelveMonkeys vs dwebp -nofancy: max |diff| %d; vs dwebp (Pillow's way): max %d,"
                + " mean %.2f%n", plain[0], fancy[0], fancy[1] / (double) ours.rgb().length);
        assertTrue(plain[0] <= 3, "same decoder up to IDCT rounding: " + plain[0]);
    }

    private static int[] diff(RgbImage a, RgbImage b) {
        assertEquals(b.width(), a.width());
        assertEquals(b.height(), a.height());
        int max = 0;
        int sum = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            int d = Math.abs((a.rgb()[i] & 0xFF) - (b.rgb()[i] & 0xFF));
            max = Math.max(max, d);
            sum += d;
        }
        return new int[] {max, sum};
    }

    @Test
    void sixteenBitGrayIsClippedTo255AsPillowsConvertRgbDoes() throws Exception {
        BufferedImage gray16 = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster raster = gray16.getRaster();
        raster.setSample(0, 0, 0, 7);
        raster.setSample(1, 0, 0, 200);
        raster.setSample(2, 0, 0, 40000);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(gray16, "png", png);
        RgbImage rgb = decoder.decode(png.toByteArray());
        assertArrayEquals(new byte[] {7, 7, 7, (byte) 200, (byte) 200, (byte) 200, (byte) 255, (byte) 255, (byte) 255},
                rgb.rgb());
    }

    @Test
    void sixteenBitRgbKeepsTheHighByteAsPillowReadsIt() throws Exception {
        BufferedImage rgb16 = new BufferedImage(new java.awt.image.ComponentColorModel(
                java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB), false, false,
                java.awt.Transparency.OPAQUE, java.awt.image.DataBuffer.TYPE_USHORT),
                java.awt.image.Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_USHORT, 1, 1, 3, null),
                false, null);
        rgb16.getRaster().setPixel(0, 0, new int[] {0x1234, 0xABCD, 0xFF00});
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(rgb16, "png", png);
        assertArrayEquals(new byte[] {0x12, (byte) 0xAB, (byte) 0xFF}, decoder.decode(png.toByteArray()).rgb());
    }

    @Test
    void gifGivesItsFirstFrameAndBmpDecodes() throws Exception {
        // samples/images/purple-ring.gif: a purple ring (120, 40, 160) on light blue (200, 230, 255), 256 x 256
        RgbImage gif = decoder.decode(resource("/fixtures/purple-ring.gif"));
        assertEquals(256, gif.width());
        assertArrayEquals(new int[] {200, 230, 255}, new int[] {gif.get(5, 5, 0), gif.get(5, 5, 1), gif.get(5, 5, 2)});
        assertArrayEquals(new int[] {120, 40, 160}, new int[] {gif.get(128, 48, 0), gif.get(128, 48, 1), gif.get(128, 48, 2)});

        BufferedImage image = new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB);
        image.setRGB(1, 2, 0x00FF8000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "bmp", out);
        RgbImage bmp = decoder.decode(out.toByteArray());
        assertArrayEquals(new int[] {255, 128, 0}, new int[] {bmp.get(1, 2, 0), bmp.get(1, 2, 1), bmp.get(1, 2, 2)});
    }

    private static RgbImage readPpm(byte[] ppm) {
        String header = new String(ppm, 0, Math.min(ppm.length, 64), StandardCharsets.US_ASCII);
        String[] fields = header.split("\\s+", 5);
        int width = Integer.parseInt(fields[1]);
        int height = Integer.parseInt(fields[2]);
        int offset = ppm.length - width * height * 3;
        return new RgbImage(width, height, java.util.Arrays.copyOfRange(ppm, offset, ppm.length));
    }

    private static byte[] resource(String name) throws java.io.IOException {
        try (java.io.InputStream in = ImageDecoderTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new java.io.IOException("missing test resource " + name);
            }
            return in.readAllBytes();
        }
    }
}
