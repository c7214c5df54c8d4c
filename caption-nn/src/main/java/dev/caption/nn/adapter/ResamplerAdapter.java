package dev.caption.nn.adapter;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.caption.nn.modules.EagerAttention;
import dev.caption.nn.modules.LayerNormW;
import dev.caption.nn.modules.LinearW;

/**
 * {@code resampler}: q learned queries cross-attend to the patch tokens (Perceiver / Q-Former / Qwen-VL style).
 * The tokens are projected to the resampler width and layer-normed; fixed 2D sin-cos positions (MAE's
 * get_2d_sincos_pos_embed) are added to the keys, not the values, as Qwen-VL does. Each layer is pre-norm
 * cross-attention plus a GELU MLP, both residual; then ln_post and a projection to d_llm.
 * Options: {@code queries} (default 16), {@code layers} (1 or 2, default 1), {@code width} (default 256),
 * {@code heads} (default 4).
 */
final class ResamplerAdapter extends Adapter {

    final NDArray query;         // query [q, W]
    final LinearW kvProj;        // kv_proj [W, Dv], no bias
    final LayerNormW lnKv;       // ln_kv
    final List<Layer> layers = new ArrayList<>();
    final LayerNormW lnPost;     // ln_post
    final LinearW proj;          // proj [Dl, W]
    private final int queries;
    private final int width;
    private final float[] pos;   // [T, W] sin-cos positions of the keys (CLS, when kept, gets zeros)

    /**
     * One cross-attention block: layers.{i}.ln_q, .attn.{q,k,v,o}_proj, .ln_mlp, .mlp.fc1/fc2. k_proj has no bias,
     * as in Whisper: a bias on the keys adds the same q·b to every score of a query, which softmax cancels, so it
     * could never learn (its gradient is zero) and would only be rounding noise for the optimizer.
     */
    record Layer(LayerNormW lnQ, LinearW qProj, LinearW kProj, LinearW vProj, LinearW oProj, LayerNormW lnMlp,
                 LinearW fc1, LinearW fc2, int heads) {
    }

    ResamplerAdapter(AdapterSpec spec, NDManager m, AdapterParams p) {
        super(spec, m, p);
        requireImage("adds 2-D grid positions to its keys");
        queries = spec.option("queries", 16);
        width = spec.option("width", 256);
        int heads = spec.option("heads", 4);
        int n = spec.option("layers", 1);
        if (width % heads != 0 || width % 4 != 0) {
            throw new IllegalArgumentException("resampler width " + width + " must be a multiple of 4 and of heads " + heads);
        }
        query = p.normal("query", 0.02f, queries, width);
        kvProj = p.linear("kv_proj.", width, spec.vision().dim(), false);
        lnKv = p.layerNorm("ln_kv.", width, 1e-6f);
        for (int i = 0; i < n; i++) {
            String l = "layers." + i + ".";
            layers.add(new Layer(p.layerNorm(l + "ln_q.", width, 1e-6f), p.linear(l + "attn.q_proj.", width, width, true),
                    p.linear(l + "attn.k_proj.", width, width, false), p.linear(l + "attn.v_proj.", width, width, true),
                    p.linear(l + "attn.o_proj.", width, width, true), p.layerNorm(l + "ln_mlp.", width, 1e-6f),
                    p.linear(l + "mlp.fc1.", 4 * width, width, true), p.linear(l + "mlp.fc2.", width, 4 * width, true), heads));
        }
        lnPost = p.layerNorm("ln_post.", width, 1e-6f);
        proj = p.linear("proj.", spec.llm().hiddenSize(), width, true);
        pos = positions(grid(), width, spec.vision().keepCls());
    }

    @Override
    public NDArray forward(NDArray features) {
        NDManager scope = features.getManager();
        Shape s = features.getShape();
        long b = s.get(0);
        long t = s.get(1);
        NDArray kv = lnKv.forward(kvProj.forward(features));                    // [B, T, W]
        NDArray keys = kv.add(scope.create(pos, new Shape(t, width)));          // + pos_embed, keys only
        NDArray q = scope.zeros(new Shape(b, queries, width)).add(query);      // query.expand(B, q, W)
        for (Layer l : layers) {
            q = q.add(attend(l, l.lnQ().forward(q), keys, kv));
            q = q.add(l.fc2().forward(Activation.gelu(l.fc1().forward(l.lnMlp().forward(q)))));
        }
        return proj.forward(lnPost.forward(q));                                // [B, q, Dl]
    }

    private NDArray attend(Layer l, NDArray q, NDArray keys, NDArray values) {
        int h = l.heads();
        int dh = width / h;
        // q_proj(q).view(B, q, h, dh).transpose(1, 2)                          [B, h, q, dh]
        NDArray qh = EagerAttention.splitHeads(l.qProj().forward(q), h, dh);
        // k_proj(keys), v_proj(values), the same way                          [B, h, T, dh]
        NDArray kh = EagerAttention.splitHeads(l.kProj().forward(keys), h, dh);
        NDArray vh = EagerAttention.splitHeads(l.vProj().forward(values), h, dh);
        // softmax(q k^T / sqrt(dh)) v, heads merged                           [B, q, W]
        NDArray out = EagerAttention.mergeHeads(EagerAttention.forward(qh, kh, vh, (float) (1 / Math.sqrt(dh))));
        return l.oProj().forward(out);                                         // [B, q, W]
    }

    @Override
    public int prefixTokens() {
        return queries;
    }

    /** Adapters saved with a k_proj bias still load: the bias changes no output (see {@link Layer}). */
    @Override
    protected List<String> ignoredKeys() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            keys.add("layers." + i + ".attn.k_proj.bias");
        }
        return keys;
    }

    /**
     * MAE's 2D sin-cos embedding: half the width encodes the row, half the column; each half is
     * [sin(p·ω_i), cos(p·ω_i)] with ω_i = 1/10000^(i/(W/4)).
     */
    static float[] positions(int g, int width, boolean cls) {
        int offset = cls ? 1 : 0;
        float[] out = new float[(g * g + offset) * width];
        int quarter = width / 4;
        for (int y = 0; y < g; y++) {
            for (int x = 0; x < g; x++) {
                int row = (offset + y * g + x) * width;
                for (int i = 0; i < quarter; i++) {
                    double omega = 1.0 / Math.pow(10000, (double) i / quarter);
                    // emb_h (grid[0] = w coordinate in MAE's meshgrid order), then emb_w
                    out[row + i] = (float) Math.sin(x * omega);
                    out[row + quarter + i] = (float) Math.cos(x * omega);
                    out[row + 2 * quarter + i] = (float) Math.sin(y * omega);
                    out[row + 3 * quarter + i] = (float) Math.cos(y * omega);
                }
            }
        }
        return out;
    }
}
