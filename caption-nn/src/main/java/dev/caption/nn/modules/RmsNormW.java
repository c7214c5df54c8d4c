package dev.caption.nn.modules;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.caption.nn.weights.WeightLoader;

/** RMSNorm (Qwen3RMSNorm, LlamaRMSNorm): {@code weight * x / sqrt(mean(x^2) + eps)}, computed in fp32. */
public record RmsNormW(NDArray weight, float eps) {

    /** {@code prefix + "weight"} [dim]. */
    public RmsNormW(WeightLoader w, String prefix, int dim, float eps) {
        this(w.take(prefix + "weight", dim), eps);
    }

    /** x [..., dim] -> [..., dim], in x's type. */
    public NDArray forward(NDArray x) {
        DataType in = x.getDataType();
        NDArray x32 = in == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        // variance = hidden_states.to(float32).pow(2).mean(-1, keepdim=True)               [..., 1]
        NDArray variance = x32.square().mean(new int[] {-1}, true);
        // weight * hidden_states * torch.rsqrt(variance + eps)                             [..., dim]
        NDArray out = x32.div(variance.add(eps).sqrt()).mul(weight);
        return in == DataType.FLOAT32 ? out : out.toType(in, false);
    }
}
