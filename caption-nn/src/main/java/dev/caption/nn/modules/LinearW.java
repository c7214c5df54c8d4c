package dev.caption.nn.modules;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.caption.nn.weights.WeightLoader;

/** nn.Linear from checkpoint weights: {@code y = x W^T + b}; {@code bias} may be null. */
public record LinearW(NDArray weight, NDArray bias) implements LinearModule {

    /** {@code prefix + "weight"} [out, in] and {@code prefix + "bias"} [out]. */
    public LinearW(WeightLoader w, String prefix, int out, int in) {
        this(w.take(prefix + "weight", out, in), w.take(prefix + "bias", out));
    }

    /** {@code prefix + "weight"} [out, in] alone, for layers built with {@code bias=False}. */
    public static LinearW noBias(WeightLoader w, String prefix, int out, int in) {
        return noBias(w.take(prefix + "weight", out, in));
    }

    /** A bias-free layer on a weight already loaded (converted to a compute type, or tied to an embedding). */
    public static LinearW noBias(NDArray weight) {
        return new LinearW(weight, null);
    }

    /**
     * Inputs of at most this many rows go through {@code W · xᵀ}. libtorch's CPU sgemm for {@code x · Wᵀ} with few
     * rows is far from the memory-bound time: for a 3072×1024 weight at 8 rows it takes 4.7 ms against 2.0 ms for
     * {@code W · xᵀ}, and for the 151936×1024 lm_head 254 ms against 78 ms (2 cores, MKL). One row (a gemv) and
     * large batches are as fast either way, so they keep F.linear; so do small weights, where the extra ops of the
     * rewrite would cost more than the slow path (the gap is a memory-bound one, and needs a weight that does not fit
     * in cache).
     */
    static final int FEW_ROWS = 64;
    static final long LARGE_WEIGHT = 1L << 20;

    /** x [..., in] -> [..., out]. */
    @Override
    public NDArray forward(NDArray x) {
        Shape shape = x.getShape();
        long in = shape.get(shape.dimension() - 1);
        long rows = shape.size() / Math.max(in, 1);
        if (rows < 2 || rows > FEW_ROWS || weight.getShape().dimension() != 2 || weight.size() < LARGE_WEIGHT) {
            return Linear.linear(x, weight, bias).singletonOrThrow();     // F.linear(x, weight, bias)
        }
        // (weight @ x.reshape(-1, in).T).T.reshape(*x.shape[:-1], out), the same dot products as F.linear
        // an op on the weight would land in the model's manager: the caller's scope owns the product
        NDArray y = Scope.into(x.getManager(), weight.matMul(x.reshape(rows, in).transpose())).transpose();  // [rows, out]
        if (bias != null) {
            y = y.add(bias);
        }
        return y.reshape(shape.slice(0, shape.dimension() - 1).add(weight.getShape().get(0)));
    }
}
