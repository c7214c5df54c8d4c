package dev.caption.nn.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.caption.nn.modules.LinearW;

/**
 * {@code mean}: the mean feature, projected to one token, or expanded ClipCap-style to k tokens by one Linear to
 * k·d_llm. Option {@code tokens} (k, default 1).
 */
final class MeanAdapter extends Adapter {

    final LinearW proj;          // proj: [k*d_llm, d_vision]
    private final int k;
    private final int dLlm;

    MeanAdapter(AdapterSpec spec, NDManager m, AdapterParams p) {
        super(spec, m, p);
        k = spec.option("tokens", 1);
        dLlm = spec.llm().hiddenSize();
        proj = p.linear("proj.", k * dLlm, spec.vision().dim(), true);
    }

    @Override
    public NDArray forward(NDArray features) {
        long b = features.getShape().get(0);
        // features.mean(dim=1)                              [B, Dv]
        NDArray pooled = features.mean(new int[] {1});
        // proj(pooled).view(B, k, d_llm)                    [B, k, Dl]
        return proj.forward(pooled).reshape(b, k, dLlm);
    }

    @Override
    public int prefixTokens() {
        return k;
    }
}
