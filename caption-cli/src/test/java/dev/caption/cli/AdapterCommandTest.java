package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

/**
 * `caption adapter import` on weights that the PyTorch reference module saved as a bare state_dict
 * (python/make_fixtures.py, import-conv-k4), with the clip-tiny and qwen3-shapes checkpoints; and `adapter info`.
 */
class AdapterCommandTest {

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");
    private static final Path BARE = FIXTURES.resolve("adapters-torch/import-conv-k4");

    @TempDir
    Path tmp;

    private CliRun importAs(Path out, String... strategyAndOptions) {
        String[] base = {"adapter", "import", "--weights", BARE.resolve("weights.safetensors").toString(),
            "--encoder", FIXTURES.resolve("clip-tiny").toString(), "--llm", FIXTURES.resolve("qwen3-shapes").toString(),
            "--out", out.toString()};
        String[] args = new String[base.length + strategyAndOptions.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(strategyAndOptions, 0, args, base.length, strategyAndOptions.length);
        return CliRun.of(args);
    }

    @Test
    void importedPythonWeightsServeThePrefixThePythonModuleComputed() throws Exception {
        Path out = tmp.resolve("py-conv");
        CliRun run = importAs(out, "--strategy", "conv", "--option", "kernel=4");
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().contains("imported conv adapter py-conv"), run.out());

        AdapterSpec spec = AdapterSpec.read(out);
        assertEquals(16, spec.vision().tokens());
        assertEquals(48, spec.vision().dim());
        assertEquals(64, spec.llm().hiddenSize());
        SafetensorsBlob ref = Safetensors.decode(Files.readAllBytes(BARE.resolve("reference.safetensors")));
        Tensor features = ref.tensor("features");
        float[] want = ref.tensor("output").toFloats();
        try (NDManager m = NDManager.newBaseManager(); Adapter adapter = Adapter.load(out, m);
             NDManager step = adapter.newScope()) {
            float[] got = adapter.forward(step.create(features.toFloats(), new Shape(features.shape()))).toFloatArray();
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < want.length; i++) {
                diff += (got[i] - want[i]) * (double) (got[i] - want[i]);
                norm += want[i] * (double) want[i];
            }
            assertEquals(want.length, got.length);
            assertTrue(Math.sqrt(diff / norm) < 1e-5, "prefix off by " + Math.sqrt(diff / norm));
        }

        CliRun info = CliRun.of("adapter", "info", out.toString());
        assertEquals(0, info.status(), info.err());
        assertTrue(info.out().contains("strategy  conv kernel=4"), info.out());
        assertTrue(info.out().contains("prefix    1 tokens"), info.out());
        assertTrue(info.out().contains("training  none recorded"), info.out());
    }

    @Test
    void weightsOfAnotherOptionAreRefusedNamingTheMisShapedKeysAndLeaveNothingBehind() {
        Path out = tmp.resolve("wrong-kernel");
        CliRun run = importAs(out, "--strategy", "conv", "--option", "kernel=2");
        assertEquals(1, run.status());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains("wrong shape") && run.err().contains("conv1.weight"), run.err());
        assertTrue(run.err().contains("[16 x 48]") && run.err().contains("hidden 64"), run.err());
        assertFalse(Files.exists(out.resolve(AdapterSpec.JSON)), "a refused import writes no adapter.json");
    }

    @Test
    void weightsOfAnotherStrategyAreRefusedNamingMissingAndUnexpectedKeys() {
        CliRun run = importAs(tmp.resolve("as-mlp"), "--strategy", "mlp");
        assertEquals(1, run.status());
        assertTrue(run.err().contains("missing") && run.err().contains("mlp.0.weight")
                && run.err().contains("unexpected") && run.err().contains("conv1.weight"), run.err());
    }

    @Test
    void anUnknownOptionIsRefusedListingTheStrategysOptions() {
        CliRun run = importAs(tmp.resolve("typo"), "--strategy", "conv", "--option", "kernal=4");
        assertEquals(1, run.status());
        assertTrue(run.err().contains("unknown option 'kernal'") && run.err().contains("kernel, width"), run.err());
    }

    @Test
    void infoOfATrainedAdapterShowsItsTrainingSummary() {
        CliRun info = CliRun.of("adapter", "info", FIXTURES.resolve("adapters-torch/java-trained").toString());
        assertEquals(0, info.status(), info.err());
        assertTrue(info.out().contains("params    37,120"), info.out());
        assertTrue(info.out().contains("training  best_validation_loss"), info.out());
    }
}
