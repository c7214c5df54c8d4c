package dev.caption.nn.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

/**
 * The fixtures that python/make_fixtures.py computed with the PyTorch reference modules (python/caption_adapters.py):
 * one directory per case with the adapter as Python saved it and reference.safetensors, and cases.json.
 */
public final class TorchReferenceFixtures {

    private TorchReferenceFixtures() {
    }

    public static Path root() {
        try {
            return Path.of(TorchReferenceFixtures.class.getResource("/fixtures/adapters-torch/cases.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode index() {
        try {
            return new ObjectMapper().readTree(root().resolve("cases.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The case names, in cases.json's order. */
    public static List<String> cases() {
        List<String> names = new ArrayList<>();
        index().get("cases").forEach(c -> names.add(c.get("name").asText()));
        return names;
    }

    public static SafetensorsBlob reference(String caseName) {
        try {
            return Safetensors.decode(Files.readAllBytes(root().resolve(caseName).resolve("reference.safetensors")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static NDArray array(NDManager m, Tensor t) {
        return m.create(t.toFloats(), new Shape(t.shape()));
    }

    /** ‖actual − expected‖ / ‖expected‖, norm-wise over every value; shapes must agree. */
    public static double relativeError(String what, Tensor expected, NDArray actual) {
        assertEquals(new Shape(expected.shape()), actual.getShape(), what + " shape");
        float[] want = expected.toFloats();
        float[] got = actual.toFloatArray();
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < want.length; i++) {
            diff += (got[i] - want[i]) * (double) (got[i] - want[i]);
            norm += want[i] * (double) want[i];
        }
        assertTrue(norm > 0, what + ": the reference is all zeros, so it would check nothing");
        return Math.sqrt(diff / norm);
    }

    /** max |actual − expected|; shapes must agree. */
    public static double maxAbsError(String what, Tensor expected, NDArray actual) {
        assertEquals(new Shape(expected.shape()), actual.getShape(), what + " shape");
        float[] want = expected.toFloats();
        float[] got = actual.toFloatArray();
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(got[i] - want[i]));
        }
        return max;
    }
}
