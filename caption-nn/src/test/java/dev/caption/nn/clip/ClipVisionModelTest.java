package dev.caption.nn.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.tensor.DType;
import dev.caption.nn.Parity;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

/** Parity with transformers 4.51.3 CLIPModel on the clip-tiny fixture (float32, eager attention). */
class ClipVisionModelTest {

    private static final double RTOL = 1e-4;
    private static final double ATOL = 1e-5;

    private static NDManager manager;
    private static ClipVisionModel model;
    private static SafetensorsBlob expected;
    private static Path dir;

    @BeforeAll
    static void load() throws Exception {
        manager = NDManager.newBaseManager();
        dir = Path.of(ClipVisionModelTest.class.getResource("/fixtures/clip-tiny/config.json").toURI()).getParent();
        model = ClipVisionModel.load(dir, List.of("model.safetensors"), manager);
        expected = Safetensors.decode(ClipImageProcessorTest.resource("/fixtures/clip-tiny.expected.safetensors"), 10 << 20);
    }

    @AfterAll
    static void close() {
        model.close();
        manager.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"landscape_500x375", "portrait_333x500", "rgba_alpha_400x300", "gray_320x240",
        "palette_300x200", "tiny_50x30", "square_224x224", "wide_1000x120", "photo_640x480"})
    void hiddenStatesPooledOutputAndImageEmbedsMatchTransformers(String stem) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray pixels = array(scope, expected.tensor(stem + ".pixel_values"));
            ClipVisionModel.Output out = model.forward(pixels);
            assertClose(stem + ".last_hidden_state", out.lastHiddenState());
            assertClose(stem + ".pooler_output", out.poolerOutput());
            assertClose(stem + ".image_embeds", out.imageEmbeds());
            NDArray stacked = ai.djl.ndarray.NDArrays.stack(new ai.djl.ndarray.NDList(out.hiddenStates())).squeeze(1);
            assertClose(stem + ".hidden_states", stacked);
            assertClose(stem + ".penultimate_hidden_state", model.features(pixels, -2, true));
        }
    }

    @Test
    void featuresDefaultToThePenultimateLayerWithoutCls() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray pixels = array(scope, expected.tensor("square_224x224.pixel_values"));
            NDArray features = model.features(pixels, -2, false);
            assertEquals(new Shape(1, 16, 48), features.getShape());
            float[] penultimate = expected.tensor("square_224x224.penultimate_hidden_state").toFloats();
            float[] got = features.toFloatArray();
            assertEquals(penultimate[48], got[0], 1e-5, "row 0 is the first patch, not CLS");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.features(pixels, 7, false));
            assertTrue(e.getMessage().contains("hidden states 0..3"), e.getMessage());
        }
    }

    @Test
    void aBatchEqualsTheImagesOneByOne() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray a = array(scope, expected.tensor("landscape_500x375.pixel_values"));
            NDArray b = array(scope, expected.tensor("gray_320x240.pixel_values"));
            NDArray batch = model.forward(a.concat(b, 0)).lastHiddenState();
            float[] one = model.forward(b).lastHiddenState().toFloatArray();
            float[] fromBatch = batch.get(1).toFloatArray();
            for (int i = 0; i < one.length; i++) {
                assertEquals(one[i], fromBatch[i], 1e-5);
            }
        }
    }

    @Test
    void missingUnexpectedAndMisShapedKeysAreAllListed(@TempDir Path tmp) throws Exception {
        SafetensorsBlob weights = Safetensors.decode(Files.readAllBytes(dir.resolve("model.safetensors")), 10 << 20);
        Map<String, Tensor> edited = new LinkedHashMap<>(weights.tensors());
        edited.remove("vision_model.post_layernorm.bias");
        edited.put("vision_model.encoder.layers.9.mlp.fc1.weight", Tensor.ofFloats(DType.F32, new long[] {2}, new float[2]));
        edited.put("vision_model.pre_layrnorm.weight", Tensor.ofFloats(DType.F32, new long[] {3}, new float[3]));
        Files.write(tmp.resolve("model.safetensors"), Safetensors.encode(edited));
        Files.copy(dir.resolve("config.json"), tmp.resolve("config.json"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ClipVisionModel.load(tmp, List.of("model.safetensors"), manager));
        assertTrue(e.getMessage().contains("missing 1 [vision_model.post_layernorm.bias [48]]"), e.getMessage());
        assertTrue(e.getMessage().contains("wrong shape [vision_model.pre_layrnorm.weight: checkpoint [3], model [48]]"),
                e.getMessage());
        assertTrue(e.getMessage().contains("unexpected 1 [vision_model.encoder.layers.9.mlp.fc1.weight]"), e.getMessage());
    }

    @Test
    void bf16CheckpointsAreWidenedInJava(@TempDir Path tmp) throws Exception {
        SafetensorsBlob weights = Safetensors.decode(Files.readAllBytes(dir.resolve("model.safetensors")), 10 << 20);
        Map<String, Tensor> bf16 = new LinkedHashMap<>();
        weights.tensors().forEach((k, t) -> bf16.put(k, t.dtype() == DType.F32 ? t.convert(DType.BF16) : t));
        Files.write(tmp.resolve("model.safetensors"), Safetensors.encode(bf16));
        Files.copy(dir.resolve("config.json"), tmp.resolve("config.json"));
        try (NDManager scope = manager.newSubManager();
             ClipVisionModel half = ClipVisionModel.load(tmp, List.of("model.safetensors"), scope)) {
            NDArray pixels = array(scope, expected.tensor("tiny_50x30.pixel_values"));
            float[] got = half.forward(pixels).poolerOutput().toFloatArray();
            float[] want = expected.tensor("tiny_50x30.pooler_output").toFloats();
            double max = 0;
            for (int i = 0; i < want.length; i++) {
                max = Math.max(max, Math.abs(got[i] - want[i]));
            }
            assertTrue(max < 0.1, "bf16-rounded weights stay close to fp32 outputs: " + max);
        }
    }

    private static NDArray array(NDManager m, Tensor t) {
        return m.create(t.toFloats(), new Shape(t.shape()));
    }

    private static void assertClose(String name, NDArray actual) {
        Parity.assertClose(expected, name, actual, RTOL, ATOL);
    }
}
