package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.caption.core.message.Json;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;

/** `caption generate` on qwen3-tiny reproduces transformers' greedy and beam outputs of the fixture's case b/d. */
class GenerateCommandTest {

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");

    @TempDir
    Path tmp;

    @Test
    void greedyAndBeamOutputsFromAPrefixFileMatchTransformers() throws Exception {
        SafetensorsBlob want = Safetensors.decode(Files.readAllBytes(FIXTURES.resolve("qwen3-tiny.expected.safetensors")),
                10 << 20);
        Path prefix = tmp.resolve("prefix.safetensors");
        Files.write(prefix, Safetensors.encode(Map.of("img-b", want.tensor("b.prefix"))));
        String model = FIXTURES.resolve("qwen3-tiny").toString();

        List<JsonNode> greedy = run("generate", "--model", model, "--prefix", prefix.toString(), "--chat",
                "Write a short caption for the image.", "--max-new-tokens", "24", "--json");
        assertEquals(1, greedy.size());
        assertEquals("img-b", greedy.get(0).get("id").asText());
        assertArrayEquals(want.tensor("b.greedy_new_ids").toLongs(), ids(greedy.get(0)));

        List<JsonNode> beams = run("generate", "--model", model, "--prefix", prefix.toString(), "--chat",
                "Write a short caption for the image.", "--max-new-tokens", "12", "--beams", "4", "--num-return", "4", "--json");
        long[] sequences = want.tensor("d.sequences").toLongs();
        float[] scores = want.tensor("d.sequences_scores").toFloats();
        assertEquals(4, beams.size());
        for (int r = 0; r < 4; r++) {
            assertArrayEquals(Arrays.copyOfRange(sequences, r * 12, r * 12 + 12), ids(beams.get(r)));
            assertEquals(scores[r], beams.get(r).get("score").asDouble(), 1e-5);
        }
    }

    @Test
    void aPrefixOfTheWrongWidthIsRefusedInOneLine() throws Exception {
        Path prefix = tmp.resolve("wide.safetensors");
        Files.write(prefix, Safetensors.encode(Map.of("x", dev.caption.tensor.Tensor.ofFloats(
                dev.caption.tensor.DType.F32, new long[] {2, 48}, new float[96]))));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int status;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            status = CaptionCli.run("generate", "--model", FIXTURES.resolve("qwen3-tiny").toString(), "--prefix",
                    prefix.toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(1, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("a prefix has width 48 but the model's hidden size is 32"),
                err.toString(StandardCharsets.UTF_8));
    }

    private static long[] ids(JsonNode node) {
        long[] out = new long[node.get("token_ids").size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get("token_ids").get(i).asLong();
        }
        return out;
    }

    private static List<JsonNode> run(String... args) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            status = CaptionCli.run(args);
        } finally {
            System.setOut(old);
        }
        assertEquals(0, status, out.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8).lines().map(l -> {
            try {
                return Json.MAPPER.readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).toList();
    }
}
