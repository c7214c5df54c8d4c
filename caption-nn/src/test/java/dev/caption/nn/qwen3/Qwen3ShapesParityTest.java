package dev.caption.nn.qwen3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.shapes.ShapesWorld;

/**
 * Parity on a trained model: qwen3-shapes (a tiny Qwen3 trained by transformers on the shapes world's caption
 * language) told a scene in words continues greedily with exactly transformers' token ids, for all 54 scenes.
 * A trained model's logits have real margins, so one wrong op changes tokens, not just the fifth decimal.
 */
class Qwen3ShapesParityTest {

    private static JsonNode expected;
    private static Qwen3Captioner captioner;

    @BeforeAll
    static void load() throws Exception {
        Path fixtures = Path.of(Qwen3ShapesParityTest.class.getResource("/fixtures/qwen3-shapes/config.json").toURI())
                .getParent().getParent();
        expected = new ObjectMapper().readTree(fixtures.resolve("qwen3-shapes.expected.json").toFile());
        captioner = Qwen3Spec.builder(fixtures.resolve("qwen3-shapes").toString()).build()
                .open(HubEnvironment.fromSystem(), DownloadListener.NONE);
    }

    @AfterAll
    static void close() {
        captioner.close();
    }

    static Stream<Arguments> cases() throws Exception {
        Path file = Path.of(Qwen3ShapesParityTest.class.getResource("/fixtures/qwen3-shapes.expected.json").toURI());
        JsonNode cases = new ObjectMapper().readTree(file.toFile()).get("cases");
        return IntStream.range(0, cases.size()).mapToObj(i -> Arguments.of(cases.get(i).get("color").asText() + " "
                + cases.get(i).get("shape").asText() + " on " + cases.get(i).get("background").asText(), i));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void greedyContinuationOfATextDescribedSceneEqualsTransformers(String scene, int i) {
        JsonNode c = expected.get("cases").get(i);
        String rendered = expected.get("prompt").asText().replace("{slot}", scene);
        assertEquals(c.get("rendered").asText(), rendered, "the prompt layout");
        Qwen3Captioner.Result r = captioner.generate(List.of(Qwen3Captioner.Item.text(rendered)),
                new Decoding.Greedy(20)).first().get(0);
        assertEquals(ids(c.get("new_ids")), ids(r.tokenIds()), "new token ids");
        assertEquals(c.get("caption").asText(), r.text());
    }

    @Test
    void theBatchOfAllScenesGivesEachSceneItsOwnContinuation() {
        JsonNode cases = expected.get("cases");
        List<Qwen3Captioner.Item> items = new ArrayList<>();
        cases.forEach(c -> items.add(Qwen3Captioner.Item.text(c.get("rendered").asText())));
        List<Qwen3Captioner.Result> out = captioner.generate(items, new Decoding.Greedy(20)).first();
        for (int i = 0; i < cases.size(); i++) {
            assertEquals(ids(cases.get(i).get("new_ids")), ids(out.get(i).tokenIds()), "case " + i);
        }
    }

    @Test
    void theTrainedModelsCaptionsNameTheSceneItWasTold() {
        for (JsonNode c : expected.get("cases")) {
            ShapesWorld.Scene scene = new ShapesWorld.Scene(ShapesWorld.Colour.valueOf(c.get("color").asText().toUpperCase()),
                    ShapesWorld.Shape.valueOf(c.get("shape").asText().toUpperCase()),
                    ShapesWorld.Background.valueOf(c.get("background").asText().toUpperCase()));
            assertEquals("right", ShapesWorld.judge(scene, c.get("caption").asText()).label(), c.get("caption").asText());
        }
    }

    private static List<Long> ids(JsonNode array) {
        List<Long> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asLong()));
        return out;
    }

    private static List<Long> ids(long[] array) {
        List<Long> out = new ArrayList<>();
        for (long v : array) {
            out.add(v);
        }
        return out;
    }
}
