package dev.caption.nn.qwen3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

/**
 * Case e of the qwen3-tiny fixture: transformers' teacher-forcing loss and d loss / d inputs_embeds, with the loss
 * taken over all targets at once and two at a time.
 */
class TeacherForcingParityTest {

    @ParameterizedTest(name = "{0} targets per lm_head call")
    @ValueSource(ints = {TeacherForcing.LOSS_CHUNK, 2})
    void lossAndInputGradientMatchTransformers(int chunk) throws Exception {
        Path fixtures = Path.of(getClass().getResource("/fixtures/qwen3-tiny/config.json").toURI()).getParent().getParent();
        SafetensorsBlob expected = Safetensors.decode(Files.readAllBytes(fixtures.resolve("qwen3-tiny.expected.safetensors")),
                10 << 20);
        Tensor embeds = expected.tensor("e.inputs_embeds");
        int b = (int) embeds.dim(0);
        int t = (int) embeds.dim(1);
        long[] maskFlat = expected.tensor("e.attention_mask").toLongs();
        long[] labelFlat = expected.tensor("e.labels").toLongs();
        int[][] mask = new int[b][t];
        long[][] labels = new long[b][t];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t; i++) {
                mask[r][i] = (int) maskFlat[r * t + i];
                labels[r][i] = labelFlat[r * t + i];
            }
        }
        try (NDManager manager = NDManager.newBaseManager();
             Qwen3ForCausalLM model = Qwen3ForCausalLM.load(fixtures.resolve("qwen3-tiny"), List.of("model.safetensors"), manager);
             NDManager step = manager.newSubManager()) {
            NDArray x = step.create(embeds.toFloats(), new Shape(embeds.shape()));
            x.setRequiresGradient(true);
            float loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = TeacherForcing.loss(model, x, mask, labels, chunk);
                gc.backward(l);
                loss = l.getFloat();
            }
            float want = expected.tensor("e.loss").toFloats()[0];
            assertEquals(want, loss, 1e-5 * Math.abs(want), "loss");

            float[] grad = x.getGradient().toFloatArray();
            float[] wantGrad = expected.tensor("e.grad_inputs_embeds").toFloats();
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < grad.length; i++) {
                diff += (grad[i] - wantGrad[i]) * (double) (grad[i] - wantGrad[i]);
                norm += wantGrad[i] * (double) wantGrad[i];
            }
            double rel = Math.sqrt(diff / norm);
            System.out.printf("teacher forcing: loss %.6f vs %.6f, |grad - ref| / |ref| = %.2e%n", loss, want, rel);
            assertTrue(rel < 1e-4, "relative gradient error " + rel);
            // frozen: the model's weights collected no gradient
            assertTrue(!((Qwen3ForCausalLM.TokenTable.Tensor) model.embedTokens).weight().hasGradient(),
                    "embed_tokens collected a gradient");
        }
    }
}
