package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;

/** `caption encode` on the tiny CLIP fixture: features equal transformers' penultimate layer without CLS. */
class EncodeCommandTest {

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");

    @TempDir
    Path tmp;

    @Test
    void encodesImagesToThePenultimateLayerWithoutClsAsTransformersComputesIt() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("imgs"));
        for (String stem : new String[] {"landscape_500x375", "palette_300x200", "rgba_alpha_400x300"}) {
            Files.copy(FIXTURES.resolve("images").resolve(stem + ".png"), images.resolve(stem + ".png"));
        }
        Files.copy(FIXTURES.resolve("images/photo_640x480.jpg"), images.resolve("photo_640x480.jpg"));
        Files.writeString(images.resolve("notes.txt"), "not an image");
        Path out = tmp.resolve("features.safetensors");
        Path pixels = tmp.resolve("pixels.safetensors");

        int status = run("encode", "--model", FIXTURES.resolve("clip-tiny").toString(), "--out", out.toString(),
                "--pixels-out", pixels.toString(), images.toString());

        assertEquals(CaptionCli.EXIT_PARTIAL, status, "the text file is skipped, the rest encoded");
        SafetensorsBlob got = Safetensors.decode(Files.readAllBytes(out));
        SafetensorsBlob want = Safetensors.decode(Files.readAllBytes(FIXTURES.resolve("clip-tiny.expected.safetensors")),
                10 << 20);
        SafetensorsBlob gotPixels = Safetensors.decode(Files.readAllBytes(pixels), 10 << 20);
        assertEquals("-2", got.metadata().get("encoder.layer"));
        assertEquals(4, got.tensors().size());
        for (String stem : new String[] {"landscape_500x375", "palette_300x200", "rgba_alpha_400x300", "photo_640x480"}) {
            float[] features = got.tensor(stem).toFloats();
            float[] penultimate = want.tensor(stem + ".penultimate_hidden_state").toFloats();   // [1, 17, 48]
            assertEquals(16 * 48, features.length);
            for (int i = 0; i < features.length; i++) {
                float ref = penultimate[48 + i];                                                 // CLS dropped
                assertTrue(Math.abs(features[i] - ref) <= 1e-5 + 1e-4 * Math.abs(ref), stem + "[" + i + "]");
            }
            float[] px = gotPixels.tensor(stem).toFloats();
            float[] refPx = want.tensor(stem + ".pixel_values").toFloats();
            for (int i = 0; i < px.length; i++) {
                assertEquals(refPx[i], px[i], 0.0, stem + " pixel " + i);
            }
        }
    }

    private static int run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            return CaptionCli.run(args);
        } finally {
            System.setOut(old);
        }
    }
}
