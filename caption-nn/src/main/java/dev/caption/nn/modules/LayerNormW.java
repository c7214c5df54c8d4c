package dev.caption.nn.modules;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import dev.caption.nn.weights.WeightLoader;

/** nn.LayerNorm over the last axis from checkpoint weights. */
public record LayerNormW(NDArray weight, NDArray bias, float eps) {

    /**
     * {@code prefix + "weight"} and {@code "bias"}; TF-era checkpoints spell them {@code gamma}/{@code beta}, which
     * transformers renames on load, and so do we.
     */
    public LayerNormW(WeightLoader w, String prefix, int dim, float eps) {
        this(w.take(prefix + (w.has(prefix + "gamma") ? "gamma" : "weight"), dim),
                w.take(prefix + (w.has(prefix + "beta") ? "beta" : "bias"), dim), eps);
    }

    public NDArray forward(NDArray x) {
        // F.layer_norm(x, (dim,), weight, bias, eps)
        return LayerNorm.layerNorm(x, new Shape(weight.getShape().get(0)), weight, bias, eps).singletonOrThrow();
    }
}
