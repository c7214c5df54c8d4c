package dev.caption.nn.modules;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;
import dev.caption.nn.weights.WeightLoader;

/** nn.Linear from checkpoint weights: {@code y = x W^T + b}; {@code bias} may be null. */
public record LinearW(NDArray weight, NDArray bias) {

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

    /** x [..., in] -> [..., out]. */
    public NDArray forward(NDArray x) {
        return Linear.linear(x, weight, bias).singletonOrThrow();         // F.linear(x, weight, bias)
    }
}
