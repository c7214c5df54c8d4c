package dev.caption.nn.train;

import static dev.caption.nn.adapter.TorchReferenceFixtures.array;
import static dev.caption.nn.adapter.TorchReferenceFixtures.maxAbsError;
import static dev.caption.nn.adapter.TorchReferenceFixtures.relativeError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.TorchReferenceFixtures;
import dev.caption.tensor.SafetensorsBlob;

/**
 * Every strategy against its PyTorch reference module (python/caption_adapters.py), on adapters that Python wrote:
 * the forward pass, the gradient of every parameter for a fixed upstream gradient, and one AdamW step from the same
 * gradients against torch.optim.AdamW. And the other direction: an adapter that {@code caption train} wrote, loaded in Python with
 * load_adapter, gave the prefix this side gives.
 */
class AdapterTorchParityTest {

    static List<String> cases() {
        return TorchReferenceFixtures.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardGradientsAndAnAdamWStepMatchPyTorch(String name) {
        SafetensorsBlob ref = TorchReferenceFixtures.reference(name);
        JsonNode adamw = TorchReferenceFixtures.index().get("adamw");
        try (NDManager manager = NDManager.newBaseManager();
             Adapter adapter = Adapter.load(TorchReferenceFixtures.root().resolve(name), manager);
             NDManager step = manager.newSubManager()) {
            Map<String, NDArray> params = adapter.parameters();
            Set<String> referenceKeys = ref.tensors().keySet().stream().filter(k -> k.startsWith("grad."))
                    .map(k -> k.substring("grad.".length())).collect(Collectors.toCollection(TreeSet::new));
            assertEquals(referenceKeys, new TreeSet<>(params.keySet()), name + ": parameters named as the module's");
            params.values().forEach(p -> p.setRequiresGradient(true));

            NDArray features = array(step, ref.tensor("features"));
            NDArray upstream = array(step, ref.tensor("upstream"));
            double forward;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = adapter.forward(features);                      // [B, n, Dl]
                forward = relativeError(name + " output", ref.tensor("output"), out);
                gc.backward(out.mul(upstream).sum());                         // d sum(out * upstream) / d params
            }
            double worstGrad = 0;
            for (Map.Entry<String, NDArray> p : params.entrySet()) {
                double err = relativeError(name + " grad " + p.getKey(), ref.tensor("grad." + p.getKey()),
                        p.getValue().getGradient());
                assertTrue(err < 1e-4, name + ": gradient of " + p.getKey() + " off by " + err + " (relative)");
                worstGrad = Math.max(worstGrad, err);
            }
            assertTrue(forward < 1e-5, name + ": output off by " + forward + " (relative)");

            // the optimizer alone: from torch's gradients, since Adam's first step divides each gradient by its
            // own magnitude, and an entry near zero (a dead GELU unit's weights) would turn rounding into a step
            for (Map.Entry<String, NDArray> p : params.entrySet()) {
                p.getValue().getGradient().set(new NDIndex("..."), array(step, ref.tensor("grad." + p.getKey())));
            }
            AdamW optimizer = new AdamW(params, step);
            AdamW.Update update = optimizer.update(params, adamw.get("lr").asDouble(),
                    adamw.get("weight_decay").asDouble(), 0, step);            // clip norm 0: no clipping, as torch's step
            assertTrue(update.applied(), name + ": the step was skipped");
            double worstStep = 0;
            for (Map.Entry<String, NDArray> p : params.entrySet()) {
                double err = maxAbsError(name + " adamw " + p.getKey(), ref.tensor("adamw." + p.getKey()), p.getValue());
                assertTrue(err < 1e-6, name + ": after AdamW, " + p.getKey() + " off by " + err);
                worstStep = Math.max(worstStep, err);
            }
            System.out.printf("%-22s forward rel %.1e, worst gradient rel %.1e, worst AdamW max|diff| %.1e%n",
                    name, forward, worstGrad, worstStep);
        }
    }

    @Test
    void anAdapterThatCaptionTrainWroteGivesPythonsLoadAdapterTheSamePrefix() {
        SafetensorsBlob ref = TorchReferenceFixtures.reference("java-trained");
        try (NDManager manager = NDManager.newBaseManager();
             Adapter adapter = Adapter.load(TorchReferenceFixtures.root().resolve("java-trained"), manager);
             NDManager step = manager.newSubManager()) {
            assertTrue(adapter.spec().training() != null, "the fixture is an adapter written by caption train");
            double err = relativeError("java-trained output", ref.tensor("output"),
                    adapter.forward(array(step, ref.tensor("features"))));
            System.out.printf("java-trained (%s) Python load_adapter vs Java: rel %.1e%n", adapter.spec().id(), err);
            assertTrue(err < 1e-5, "Python's prefix of the Java-trained adapter is off by " + err);
        }
    }
}
