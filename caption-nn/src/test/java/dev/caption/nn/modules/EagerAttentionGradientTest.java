package dev.caption.nn.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

/**
 * Training runs each layer in a scope that closes before the backward pass (Scope.layer). Whatever autograd keeps
 * from the forward pass must therefore be memory libtorch owns: a tensor over a Java buffer is freed once the buffer
 * is collected, and the backward pass would read whatever was allocated there since.
 */
class EagerAttentionGradientTest {

    private static float[] queryGradient(NDManager m, boolean collectBetween) {
        m.getEngine().setRandomSeed(7);
        NDArray q = m.randomNormal(new Shape(1, 2, 3, 4));
        NDArray k = m.randomNormal(new Shape(1, 2, 3, 4));
        NDArray v = m.randomNormal(new Shape(1, 2, 3, 4));
        q.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = Scope.layer(q, x -> EagerAttention.forward(x, k, v, 0.37f)).square().sum();
            List<ByteBuffer> junk = new ArrayList<>();
            if (collectBetween) {
                // free what only the closed scope held, then fill small freed blocks with other values
                for (int i = 0; i < 3; i++) {
                    System.gc();
                    System.runFinalization();
                }
                for (int i = 0; i < 20_000; i++) {
                    ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
                    b.putFloat(0, 1e6f);
                    junk.add(b);
                }
            }
            gc.backward(loss);
        }
        return q.getGradient().toFloatArray();
    }

    @Test
    void theBackwardPassGivesTheSameGradientAfterTheLayersScopeClosedAndTheHeapWasCollected() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] undisturbed = queryGradient(m, false);
            float[] collected = queryGradient(m, true);
            assertArrayEquals(undisturbed, collected, 0f);
        }
    }
}
