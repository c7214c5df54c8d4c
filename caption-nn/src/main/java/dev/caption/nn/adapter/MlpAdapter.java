package dev.caption.nn.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** {@code mlp}: every feature token through LLaVA-1.5's mlp2x_gelu: [B, T, Dv] → [B, T, Dl]. */
final class MlpAdapter extends Adapter {

    final Mlp2xGelu mlp;         // mlp.0, mlp.2

    MlpAdapter(AdapterSpec spec, NDManager m, AdapterParams p) {
        super(spec, m, p);
        mlp = Mlp2xGelu.of(p, "mlp.", spec.vision().dim(), spec.llm().hiddenSize());
    }

    @Override
    public NDArray forward(NDArray features) {
        return mlp.forward(features);
    }

    @Override
    public int prefixTokens() {
        return spec.vision().tokens();
    }

    /** One prefix token per frame: a 30 s clip gives 1500. */
    @Override
    public int prefixTokens(int frames) {
        return frames;
    }
}
