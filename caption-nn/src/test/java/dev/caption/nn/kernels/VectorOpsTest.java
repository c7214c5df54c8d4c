package dev.caption.nn.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import dev.caption.nn.modules.RmsNormW;

/**
 * The decoding step's element-wise ops against the libtorch ops they replace, at a width that is not a multiple of
 * the vector length (so the scalar tails run too) and at an offset into the arrays.
 */
class VectorOpsTest {

    private static final int N = 37;
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static float[] random(int n, long seed) {
        Random random = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian() * 3;
        }
        return a;
    }

    @Test
    void rmsNormMatchesTheLibtorchModule() {
        float[] x = random(N + 5, 1);
        float[] weight = random(N, 2);
        float[] expected = new RmsNormW(manager.create(weight), 1e-6f)
                .forward(manager.create(java.util.Arrays.copyOfRange(x, 5, 5 + N))).toFloatArray();
        float[] out = new float[N + 3];
        VectorOps.rmsNorm(x, 5, weight, 1e-6f, out, 3);
        for (int i = 0; i < N; i++) {
            assertEquals(expected[i], out[3 + i], 1e-6f * Math.max(1, Math.abs(expected[i])), "out[" + i + "]");
        }
    }

    @Test
    void siluTimesIsSiluOfTheGateTimesUpAsLibtorchComputesIt() {
        float[] gateUp = random(2 * N + 4, 3);
        NDArray gate = manager.create(java.util.Arrays.copyOfRange(gateUp, 4, 4 + N));
        NDArray up = manager.create(java.util.Arrays.copyOfRange(gateUp, 4 + N, 4 + 2 * N));
        float[] expected = gate.mul(Activation.sigmoid(gate)).mul(up).toFloatArray();
        float[] out = new float[N + 1];
        VectorOps.siluTimes(gateUp, 4, N, out, 1);
        for (int i = 0; i < N; i++) {
            assertEquals(expected[i], out[1 + i], 1e-6f * Math.max(1, Math.abs(expected[i])), "out[" + i + "]");
        }
    }

    @Test
    void ropeRotatesEachHalfPairByItsAngle() {
        int dh = 8;
        float[] x = random(dh + 2, 4);
        float[] angles = {0.1f, -0.7f, 2.5f, 1.0f};
        float[] cos = new float[dh];
        float[] signedSin = new float[dh];
        for (int i = 0; i < dh / 2; i++) {
            cos[i] = cos[i + dh / 2] = (float) Math.cos(angles[i]);
            signedSin[i] = (float) -Math.sin(angles[i]);
            signedSin[i + dh / 2] = (float) Math.sin(angles[i]);
        }
        float[] rotated = x.clone();
        VectorOps.rope(rotated, 2, cos, signedSin, 0, dh);
        for (int i = 0; i < dh / 2; i++) {
            // (x1, x2) rotated by the angle: x1 cos - x2 sin, x2 cos + x1 sin
            double x1 = x[2 + i];
            double x2 = x[2 + dh / 2 + i];
            assertEquals(x1 * Math.cos(angles[i]) - x2 * Math.sin(angles[i]), rotated[2 + i], 1e-5);
            assertEquals(x2 * Math.cos(angles[i]) + x1 * Math.sin(angles[i]), rotated[2 + dh / 2 + i], 1e-5);
        }
        assertArrayEquals(new float[] {x[0], x[1]}, new float[] {rotated[0], rotated[1]}, 0f);
    }

    @Test
    void addInPlaceAddsTheFirstNOnly() {
        float[] x = random(N + 2, 5);
        float[] y = random(N + 2, 6);
        float[] sum = x.clone();
        VectorOps.addInPlace(sum, y, N);
        for (int i = 0; i < N; i++) {
            assertEquals(x[i] + y[i], sum[i], 0f);
        }
        assertEquals(x[N], sum[N], 0f);
    }
}
