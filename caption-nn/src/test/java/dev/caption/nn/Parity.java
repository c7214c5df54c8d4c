package dev.caption.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

/** Element-wise comparison with a reference tensor, |a - b| <= atol + rtol |b|, printing the largest difference. */
public final class Parity {

    private Parity() {
    }

    public static void assertClose(SafetensorsBlob expected, String name, NDArray actual, double rtol, double atol) {
        Tensor want = expected.tensor(name);
        assertArrayEquals(want.shape(), actual.getShape().getShape(), name + " shape");
        float[] w = want.toFloats();
        float[] a = actual.toFloatArray();
        double maxAbs = 0;
        for (int i = 0; i < w.length; i++) {
            double diff = Math.abs(a[i] - w[i]);
            maxAbs = Math.max(maxAbs, diff);
            if (!(diff <= atol + rtol * Math.abs(w[i]))) {
                throw new AssertionError(name + "[" + i + "]: " + a[i] + " vs " + w[i]);
            }
        }
        System.out.printf("parity %-45s max|diff| %.2e%n", name, maxAbs);
    }
}
