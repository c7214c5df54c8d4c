package dev.caption.nn.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

class AdapterTest {

    static AdapterSpec spec(String strategy, Map<String, Integer> options, int tokens, boolean keepCls) {
        return AdapterSpec.builder(strategy, AdapterSpec.Vision.image("clip-tiny", "local", -2, keepCls, tokens, 48),
                new AdapterSpec.Llm("qwen3-tiny", "local", 32)).id(strategy + "-test").options(options).build();
    }

    @ParameterizedTest
    @CsvSource({"mean, 1", "avgpool, 9", "conv, 12", "resampler, 16", "mlp, 49"})
    void everyStrategyMapsFeaturesToItsPrefixLength(String strategy, int tokens) {
        try (NDManager m = NDManager.newBaseManager(); Adapter a = Adapter.create(spec(strategy, Map.of(), 49, false), m, 1);
             NDManager step = m.newSubManager()) {
            NDArray out = a.forward(step.randomNormal(new Shape(3, 49, 48)));
            assertEquals(new Shape(3, tokens, 32), out.getShape());
            assertEquals(tokens, a.prefixTokens());
            assertTrue(a.parameterCount() > 0);
        }
    }

    @Test
    void clipCapExpansionAndKeptClsAreHonoured() {
        try (NDManager m = NDManager.newBaseManager();
             Adapter mean = Adapter.create(spec("mean", Map.of("tokens", 4), 49, false), m, 1);
             Adapter pool = Adapter.create(spec("avgpool", Map.of("grid", 2), 50, true), m, 1);
             NDManager step = m.newSubManager()) {
            assertEquals(new Shape(2, 4, 32), mean.forward(step.randomNormal(new Shape(2, 49, 48))).getShape());
            assertEquals(new Shape(2, 4, 32), pool.forward(step.randomNormal(new Shape(2, 50, 48))).getShape());
        }
    }

    @Test
    void avgpoolBinsLikeAdaptiveAvgPool2d() {
        // 7x7 grid to 3x3: PyTorch bins rows [0,3), [2,5), [4,7); a feature equal to the row index averages to 1, 3, 5
        try (NDManager m = NDManager.newBaseManager(); AvgPoolAdapter a = (AvgPoolAdapter) Adapter.create(
                spec("avgpool", Map.of("grid", 3), 49, false), m, 1); NDManager step = m.newSubManager()) {
            float[] rows = new float[49 * 48];
            for (int i = 0; i < 49; i++) {
                java.util.Arrays.fill(rows, i * 48, (i + 1) * 48, i / 7);
            }
            float[] p = a.pool(step.create(rows, new Shape(1, 49, 48))).toFloatArray();
            assertEquals(1f, p[0], 1e-6);
            assertEquals(3f, p[3 * 48], 1e-6);
            assertEquals(5f, p[6 * 48], 1e-6);
        }
    }

    @Test
    void savedAdapterLoadsBackToTheSameOutputs(@TempDir Path dir) {
        try (NDManager m = NDManager.newBaseManager();
             Adapter a = Adapter.create(spec("resampler", Map.of("layers", 2, "queries", 4, "width", 16, "heads", 2), 49, false), m, 3);
             NDManager step = m.newSubManager()) {
            a.save(dir, a.spec().withTraining(Map.of("steps", 0)));
            try (Adapter b = Adapter.load(dir, m)) {
                NDArray x = step.randomNormal(new Shape(2, 49, 48));
                assertArrayEquals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray());
                assertEquals(Map.of("steps", 0), b.spec().training());
            }
        }
    }

    @Test
    void checkpointWithAMissingOrExtraKeyIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Adapter a = Adapter.create(spec("avgpool", Map.of(), 49, false), m, 3)) {
            a.save(dir, a.spec());
            SafetensorsBlob blob = Safetensors.decode(Files.readAllBytes(dir.resolve(AdapterSpec.WEIGHTS)), 1 << 20);
            Map<String, Tensor> t = new LinkedHashMap<>(blob.tensors());
            t.remove("mlp.2.bias");
            t.put("mlp.3.weight", Tensor.ofFloats(dev.caption.tensor.DType.F32, new long[] {1}, new float[1]));
            Files.write(dir.resolve(AdapterSpec.WEIGHTS), Safetensors.encode(t));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Adapter.load(dir, m));
            assertTrue(e.getMessage().contains("missing 1 [mlp.2.bias") && e.getMessage().contains("unexpected 1 [mlp.3.weight]"),
                    e.getMessage());
        }
    }

    @Test
    void mismatchedFeaturesOrLlmAreRefusedNamingBothSides() {
        AdapterSpec s = spec("mlp", Map.of(), 49, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.checkFeatures("openai/clip-vit-large-patch14", -2, false, 256, 1024));
        assertEquals("features do not fit adapter mlp-test: encoder openai/clip-vit-large-patch14 (adapter: clip-tiny), "
                + "shape [256 x 1024] (adapter: [49 x 48])", e.getMessage());
        IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
                () -> s.checkFeatures("/models/clip-tiny", -1, true, 49, 48));
        assertEquals("features do not fit adapter mlp-test: layer -1 (adapter: -2), with CLS (adapter: without)",
                layer.getMessage(), "the same directory under another path is the same encoder");
        IllegalArgumentException l = assertThrows(IllegalArgumentException.class, () -> s.checkLlm("Qwen/Qwen3-8B", 4096));
        assertTrue(l.getMessage().contains("projects into qwen3-tiny (hidden 32) but the LLM is Qwen/Qwen3-8B"), l.getMessage());
        s.checkFeatures("clip-tiny", -2, false, 49, 48);
        s.checkLlm("../somewhere/qwen3-tiny", 32);
    }

    @Test
    void unknownStrategyIsRefusedListingTheKnownOnes() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Adapter.create(spec("qformer", Map.of(), 49, false), m, 1));
            assertTrue(e.getMessage().contains(String.join(", ", Adapter.STRATEGIES)), e.getMessage());
        }
    }

    static List<String> strategies() {
        return Adapter.STRATEGIES;
    }
}
