package dev.caption.nn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise parts of a decoder layer on float arrays, for a decoding step that keeps its activations in Java
 * between the matmul kernels: at one new position a row is a few thousand floats, and each op through libtorch
 * would cost a JNI call and an allocation more than the arithmetic. Each op rounds as its PyTorch line does (a
 * product, then a sum, each in fp32); only sums over a row (RMSNorm's mean) run in another order.
 */
public final class VectorOps {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private VectorOps() {
    }

    /**
     * RMSNorm of {@code x[at, at + n)} into {@code out[outAt, outAt + n)}, n = {@code weight.length}. PyTorch:
     * {@code weight * (x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps))}.
     */
    public static void rmsNorm(float[] x, int at, float[] weight, float eps, float[] out, int outAt) {
        int n = weight.length;
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, at + i);
            acc = v.mul(v).add(acc);
        }
        float squares = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            squares += x[at + i] * x[at + i];
        }
        float rms = (float) Math.sqrt(squares / n + eps);                  // sqrt(variance + eps)
        i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector.fromArray(SPECIES, x, at + i).div(rms).mul(FloatVector.fromArray(SPECIES, weight, i))
                    .intoArray(out, outAt + i);
        }
        for (; i < n; i++) {
            out[outAt + i] = x[at + i] / rms * weight[i];
        }
    }

    /** {@link #rmsNorm} of each of {@code rows} rows of {@code x} [rows, weight.length] into {@code out}, alike. */
    public static void rmsNormRows(float[] x, int rows, float[] weight, float eps, float[] out) {
        for (int r = 0; r < rows; r++) {
            rmsNorm(x, r * weight.length, weight, eps, out, r * weight.length);
        }
    }

    /**
     * Rotary embedding of one head in place, half-split: {@code x * cos + rotate_half(x) * sin} with
     * rotate_half(x) = cat(-x2, x1). {@code signedSin} has its first half negated, so that this is
     * {@code x * cos + cat(x2, x1) * signedSin}.
     */
    public static void rope(float[] x, int at, float[] cos, float[] signedSin, int csAt, int headDim) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float x1 = x[at + i];
            float x2 = x[at + half + i];
            x[at + i] = x1 * cos[csAt + i] + x2 * signedSin[csAt + i];
            x[at + half + i] = x2 * cos[csAt + half + i] + x1 * signedSin[csAt + half + i];
        }
    }

    /**
     * SwiGLU's product for one row: {@code out[outAt + i] = silu(gateUp[at + i]) * gateUp[at + n + i]}, i < n, the
     * gate and up projections side by side as the stacked matmul writes them. PyTorch:
     * {@code act_fn(gate_proj(x)) * up_proj(x)}, silu(g) = g * sigmoid(g).
     */
    public static void siluTimes(float[] gateUp, int at, int n, float[] out, int outAt) {
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector g = FloatVector.fromArray(SPECIES, gateUp, at + i);
            FloatVector sigmoid = one.div(g.neg().lanewise(VectorOperators.EXP).add(1f));    // torch.sigmoid(g)
            g.mul(sigmoid).mul(FloatVector.fromArray(SPECIES, gateUp, at + n + i)).intoArray(out, outAt + i);
        }
        for (; i < n; i++) {
            float g = gateUp[at + i];
            float sigmoid = 1f / (1f + (float) Math.exp(-g));
            out[outAt + i] = g * sigmoid * gateUp[at + n + i];
        }
    }

    /** {@code x[0, n) += y[0, n)}: a residual connection. */
    public static void addInPlace(float[] x, float[] y, int n) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector.fromArray(SPECIES, x, i).add(FloatVector.fromArray(SPECIES, y, i)).intoArray(x, i);
        }
        for (; i < n; i++) {
            x[i] += y[i];
        }
    }
}
