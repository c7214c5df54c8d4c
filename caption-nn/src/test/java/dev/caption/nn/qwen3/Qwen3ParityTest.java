package dev.caption.nn.qwen3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.Parity;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

/**
 * Parity with transformers 4.51.3 Qwen3ForCausalLM on the qwen3-tiny fixture (a bf16 checkpoint), for the model as
 * loaded for training (libtorch computes everything); {@link Qwen3KernelParityTest} holds the model loaded for
 * generation, on the CPU kernels, to the same expectations.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Qwen3ParityTest {

    private static final double RTOL = 1e-4;
    private static final double ATOL = 1e-5;
    private static final Set<Long> EOS = Set.of(151645L, 151643L);
    private static final long PAD = 151643L;

    private NDManager manager;
    private Qwen3ForCausalLM model;
    private Qwen3Tokenizer tokenizer;
    private SafetensorsBlob expected;
    private JsonNode cases;

    /** What the model under test is loaded for. */
    Qwen3ForCausalLM.Use use() {
        return Qwen3ForCausalLM.Use.TRAINING;
    }

    @BeforeAll
    void load() throws Exception {
        Path fixtures = Path.of(Qwen3ParityTest.class.getResource("/fixtures/qwen3-tiny/config.json").toURI())
                .getParent().getParent();
        manager = NDManager.newBaseManager();
        model = Qwen3ForCausalLM.load(fixtures.resolve("qwen3-tiny"), List.of("model.safetensors"), manager,
                ai.djl.ndarray.types.DataType.FLOAT32, use());
        tokenizer = Qwen3Tokenizer.load(fixtures.resolve("qwen3-tiny/tokenizer.json"));
        expected = Safetensors.decode(Files.readAllBytes(fixtures.resolve("qwen3-tiny.expected.safetensors")), 10 << 20);
        cases = new ObjectMapper().readTree(fixtures.resolve("qwen3-tiny.expected.json").toFile()).get("cases");
    }

    /** The engine the model under test runs on. */
    String engine() {
        return model.engine();
    }

    @AfterAll
    void close() {
        tokenizer.close();
        model.close();
        manager.close();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void tokenIdsHiddenStatesAndLogitsMatchForChatPrompts(int i) {
        JsonNode prompt = cases.get("a").get("prompts").get(i);
        String rendered = Qwen3Tokenizer.chat(prompt.get("user_text").asText());
        assertEquals(prompt.get("rendered").asText(), rendered, "the chat template");
        long[] ids = tokenizer.encode(rendered);
        assertArrayEquals(expected.tensor("a." + i + ".input_ids").toLongs(), ids, "token ids");
        try (NDManager scope = manager.newSubManager()) {
            long[][] positions = {range(ids.length)};
            int[][] mask = {ones(ids.length)};
            Qwen3ForCausalLM.Output out = model.forward(model.embed(scope, ids).expandDims(0), positions, mask, null, true);
            assertClose("a." + i + ".hidden_states", NDArrays.stack(new NDList(out.hiddenStates())).squeeze(1));
            assertClose("a." + i + ".last_layer_output", out.lastLayerOutput().squeeze(0));
            assertClose("a." + i + ".final_hidden", out.lastHiddenState().squeeze(0));
            assertClose("a." + i + ".last_logits", model.lastLogits(out.lastHiddenState()).squeeze(0));
        }
    }

    @Test
    void greedyGenerationFromPrefixEmbeddingsMatchesTokenForToken() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray embeds = withPrefix(scope, "b.prefix", expected.tensor("b.prompt_ids").toLongs());
            assertClose("b.inputs_embeds", embeds.expandDims(0));
            long[][] positions = {range((int) embeds.getShape().get(0))};
            int[][] mask = {ones((int) embeds.getShape().get(0))};
            assertClose("b.last_logits", model.lastLogits(model.forward(embeds.expandDims(0), positions, mask, null, false)
                    .lastHiddenState()).squeeze(0));
            List<long[]> out = new Qwen3Generator(model, scope).greedy(List.of(embeds), 24, EOS, PAD).tokens();
            assertArrayEquals(expected.tensor("b.greedy_new_ids").toLongs(), out.get(0));
        }
    }

    @Test
    void aLeftPaddedBatchGivesEachSequenceItsOwnTokens() {
        try (NDManager scope = manager.newSubManager()) {
            List<NDArray> inputs = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                inputs.add(withPrefix(scope, "c." + r + ".prefix", expected.tensor("c." + r + ".prompt_ids").toLongs()));
            }
            List<long[]> batch = new Qwen3Generator(model, scope).greedy(inputs, 24, EOS, PAD).tokens();
            long[] want = expected.tensor("c.batch_new_ids").toLongs();
            for (int r = 0; r < 3; r++) {
                assertArrayEquals(java.util.Arrays.copyOfRange(want, r * 24, r * 24 + 24), batch.get(r), "row " + r);
                assertArrayEquals(expected.tensor("c." + r + ".single_new_ids").toLongs(),
                        new Qwen3Generator(model, scope).greedy(List.of(inputs.get(r)), 24, EOS, PAD).tokens().get(0),
                        "row " + r + " alone");
            }
        }
    }

    @Test
    void fullyMaskedPaddingRowsStayFinite() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray shortRow = withPrefix(scope, "c.0.prefix", expected.tensor("c.0.prompt_ids").toLongs());   // 20
            long t = 37;
            NDArray padded = model.embed(scope, new long[] {PAD}).repeat(0, t - shortRow.getShape().get(0))
                    .concat(shortRow, 0).expandDims(0);
            int[][] mask = {new int[(int) t]};
            long[][] positions = {new long[(int) t]};
            int pad = (int) (t - shortRow.getShape().get(0));
            for (int j = 0; j < t; j++) {
                mask[0][j] = j < pad ? 0 : 1;
                positions[0][j] = j < pad ? 1 : j - pad;
            }
            Qwen3ForCausalLM.Output out = model.forward(padded, positions, mask, null, true);
            for (NDArray h : out.hiddenStates()) {
                for (float v : h.toFloatArray()) {
                    org.junit.jupiter.api.Assertions.assertTrue(Float.isFinite(v), "no NaN or infinity, padding rows included");
                }
            }
            float[] want = expected.tensor("c.prefill_last_logits").toFloats();
            float[] got = model.lastLogits(out.lastHiddenState()).toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertEquals(want[i], got[i], ATOL + RTOL * Math.abs(want[i]), "prefill logit " + i + " of row 0");
            }
        }
    }

    @Test
    void beamSearchReturnsHfsSequencesAndScores() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray embeds = withPrefix(scope, "b.prefix", expected.tensor("b.prompt_ids").toLongs());
            List<BeamSearch.Hypothesis> beams = new BeamSearch(model, scope)
                    .generate(List.of(embeds), 4, 4, 12, 1.0, EOS, PAD).hypotheses().get(0);
            long[] sequences = expected.tensor("d.sequences").toLongs();
            float[] scores = expected.tensor("d.sequences_scores").toFloats();
            assertEquals(4, beams.size());
            for (int r = 0; r < 4; r++) {
                assertArrayEquals(java.util.Arrays.copyOfRange(sequences, r * 12, r * 12 + 12), beams.get(r).tokens(), "beam " + r);
                assertEquals(scores[r], beams.get(r).score(), 1e-5, "score of beam " + r);
            }
        }
    }

    @Test
    void seededSamplingIsReproducibleAndRespectsTopK() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray embeds = withPrefix(scope, "b.prefix", expected.tensor("b.prompt_ids").toLongs());
            Qwen3Generator generator = new Qwen3Generator(model, scope);
            Sampling sampling = new Sampling(0.7, 20, 0.95, 42);
            long[] first = generator.sample(List.of(embeds), 12, EOS, PAD, sampling).tokens().get(0);
            long[] again = generator.sample(List.of(embeds), 12, EOS, PAD, sampling).tokens().get(0);
            assertArrayEquals(first, again, "same seed, same tokens");
            // top_k = 1 is greedy whatever the temperature
            long[] topOne = generator.sample(List.of(embeds), 12, EOS, PAD, new Sampling(5.0, 1, 1.0, 7)).tokens().get(0);
            assertArrayEquals(java.util.Arrays.copyOf(expected.tensor("b.greedy_new_ids").toLongs(), 12), topOne);
        }
    }

    @Test
    void fp16WeightsWithFp32NormsAndSoftmaxStayCloseToTheReference() throws Exception {
        Path dir = Path.of(Qwen3ParityTest.class.getResource("/fixtures/qwen3-tiny/config.json").toURI()).getParent();
        try (NDManager scope = manager.newSubManager();
             Qwen3ForCausalLM half = Qwen3ForCausalLM.load(dir, List.of("model.safetensors"), scope,
                     ai.djl.ndarray.types.DataType.FLOAT16, use())) {
            long[] ids = expected.tensor("a.0.input_ids").toLongs();
            Qwen3ForCausalLM.Output out = half.forward(half.embed(scope, ids).expandDims(0), new long[][] {range(ids.length)},
                    new int[][] {ones(ids.length)}, null, false);
            float[] got = half.lastLogits(out.lastHiddenState()).toFloatArray();
            float[] want = expected.tensor("a.0.last_logits").toFloats();
            double max = 0;
            for (int i = 0; i < want.length; i++) {
                max = Math.max(max, Math.abs(got[i] - want[i]));
            }
            System.out.printf("fp16 compute: last logits max|diff| %.2e%n", max);
            org.junit.jupiter.api.Assertions.assertTrue(max < 5e-3, "fp16 logits within 5e-3: " + max);
        }
    }

    private NDArray withPrefix(NDManager scope, String prefixName, long[] promptIds) {
        Tensor prefix = expected.tensor(prefixName);
        NDArray p = scope.create(prefix.toFloats(), new Shape(prefix.shape()));
        return p.concat(model.embed(scope, promptIds), 0);
    }

    private static long[] range(int n) {
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    private static int[] ones(int n) {
        int[] r = new int[n];
        java.util.Arrays.fill(r, 1);
        return r;
    }

    private void assertClose(String name, NDArray actual) {
        Parity.assertClose(expected, name, actual, RTOL, ATOL);
    }
}
