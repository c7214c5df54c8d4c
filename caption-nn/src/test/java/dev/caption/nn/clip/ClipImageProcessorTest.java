package dev.caption.nn.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;
import dev.caption.image.ImageDecodeException;
import dev.caption.image.ImageDecoder;
import dev.caption.image.RgbImage;

/**
 * Against the fixtures in test resources: HF CLIPImageProcessor (slow, Pillow 9.4.0) outputs for
 * the tiny config (shortest edge 64) and the real one (224).
 */
class ClipImageProcessorTest {

    private static SafetensorsBlob expected;
    private static ClipImageProcessor tiny;
    private static ClipImageProcessor real;
    private static final ImageDecoder DECODER = new ImageDecoder();

    @BeforeAll
    static void load() throws Exception {
        expected = Safetensors.decode(resource("/fixtures/clip-tiny.expected.safetensors"), 10 << 20);
        ClipPreprocessorConfig config = ClipPreprocessorConfig.read(
                Path.of(ClipImageProcessorTest.class.getResource("/fixtures/clip-tiny/preprocessor_config.json").toURI()));
        tiny = new ClipImageProcessor(config);
        real = new ClipImageProcessor(config.withSize(224, 224));
    }

    @ParameterizedTest
    @ValueSource(strings = {"landscape_500x375", "portrait_333x500", "rgba_alpha_400x300", "gray_320x240",
        "palette_300x200", "tiny_50x30", "square_224x224", "wide_1000x120"})
    void pngPixelValuesEqualTheReferenceExactlyAtBothSizes(String stem) throws Exception {
        RgbImage image = DECODER.decode(resource("/fixtures/images/" + stem + ".png"));
        assertArrayEquals(expected.tensor(stem + ".crop_uint8").toLongs(), unsigned(tiny.resizeAndCrop(image)),
                stem + " crop 64");
        assertArrayEquals(expected.tensor(stem + ".pixel_values").toFloats(), tiny.pixelValues(image), stem + " pixels 64");
        assertArrayEquals(expected.tensor(stem + ".crop_uint8_224").toLongs(), unsigned(real.resizeAndCrop(image)),
                stem + " crop 224");
        assertArrayEquals(expected.tensor(stem + ".pixel_values_224").toFloats(), real.pixelValues(image),
                stem + " pixels 224");
    }

    @Test
    void jpegDiffersOnlyByTheDecoderAndIsExactFromTheReferenceDecodedPixels() throws Exception {
        Tensor decodedRef = expected.tensor("photo_640x480.decoded");
        RgbImage reference = new RgbImage(640, 480, bytes(decodedRef));
        // resize + crop + normalize are exact once both sides start from libjpeg-turbo's pixels
        assertArrayEquals(expected.tensor("photo_640x480.pixel_values").toFloats(), tiny.pixelValues(reference));
        assertArrayEquals(expected.tensor("photo_640x480.pixel_values_224").toFloats(), real.pixelValues(reference));

        // Java's JPEG decoder is not libjpeg-turbo: measure how far apart they are
        RgbImage ours = DECODER.decode(resource("/fixtures/images/photo_640x480.jpg"));
        int decodeDiff = maxAbsDiff(reference.rgb(), ours.rgb());
        float[] want = expected.tensor("photo_640x480.pixel_values_224").toFloats();
        float[] got = real.pixelValues(ours);
        double pixelDiff = 0;
        for (int i = 0; i < want.length; i++) {
            pixelDiff = Math.max(pixelDiff, Math.abs(want[i] - got[i]));
        }
        System.out.printf("JPEG via ImageIO vs libjpeg-turbo: decoded max |diff| %d/255, pixel_values_224 max |diff| %.4f%n",
                decodeDiff, pixelDiff);
        assertEquals(0, decodeDiff, "OpenJDK's decoder (IJG islow IDCT, fancy upsampling) matches libjpeg-turbo here");
    }

    @Test
    void outputSizesFollowTransformersTruncation() {
        assertArrayEquals(new int[] {224, 298}, ClipImageProcessor.shortestEdgeSize(375, 500, 224));
        assertArrayEquals(new int[] {336, 224}, ClipImageProcessor.shortestEdgeSize(500, 333, 224));
        assertArrayEquals(new int[] {224, 1866}, ClipImageProcessor.shortestEdgeSize(120, 1000, 224));
    }

    @Test
    void imagesSmallerThanTheCropArePaddedWithZerosAroundTheCentre() {
        RgbImage small = new RgbImage(2, 1, new byte[] {10, 20, 30, 40, 50, 60});
        RgbImage crop = ClipImageProcessor.centerCrop(small, 3, 4);
        // transformers pads ceil((4-2)/2) = 1 column left and ceil((3-1)/2) = 1 row on top
        assertEquals(10, crop.get(1, 1, 0));
        assertEquals(40, crop.get(2, 1, 0));
        assertEquals(0, crop.get(0, 0, 0));
    }

    @Test
    void nonImagesAndDecompressionBombsAreRefusedClearly() throws Exception {
        ImageDecodeException text = assertThrows(ImageDecodeException.class,
                () -> DECODER.decode("hello, world".getBytes()));
        assertTrue(text.getMessage().startsWith("not a supported image"), text.getMessage());
        byte[] png = resource("/fixtures/images/landscape_500x375.png");
        ImageDecodeException bomb = assertThrows(ImageDecodeException.class,
                () -> new ImageDecoder(100_000).decode(png));
        assertTrue(bomb.getMessage().contains("500x375 = 187500 pixels exceeds the limit of 100000"), bomb.getMessage());
        byte[] truncated = java.util.Arrays.copyOf(png, 2000);
        ImageDecodeException cut = assertThrows(ImageDecodeException.class, () -> DECODER.decode(truncated));
        assertTrue(cut.getMessage().startsWith("corrupt or truncated image"), cut.getMessage());
    }

    private static long[] unsigned(RgbImage image) {
        long[] out = new long[image.rgb().length];
        for (int i = 0; i < out.length; i++) {
            out[i] = image.rgb()[i] & 0xFF;
        }
        return out;
    }

    private static byte[] bytes(Tensor t) {
        byte[] b = new byte[(int) t.byteLength()];
        t.data().get(b);
        return b;
    }

    private static int maxAbsDiff(byte[] a, byte[] b) {
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)));
        }
        return max;
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = ClipImageProcessorTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing test resource " + name);
            }
            return in.readAllBytes();
        }
    }

}
