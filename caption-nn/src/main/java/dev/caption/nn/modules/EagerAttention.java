package dev.caption.nn.modules;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The one eager attention core, as transformers' {@code eager_attention_forward}: every model keeps its own
 * attention module (projections named as its checkpoint keys) and calls this for the part they all share.
 */
public final class EagerAttention {

    private EagerAttention() {
    }

    /** [B, T, H*Dh] -> [B, H, T, Dh]. PyTorch: {@code x.view(B, T, H, Dh).transpose(1, 2)}. */
    public static NDArray splitHeads(NDArray x, int heads, int headDim) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, headDim).transpose(0, 2, 1, 3);
    }

    /** [B, H, T, Dh] -> [B, T, H*Dh]. PyTorch: {@code x.transpose(1, 2).reshape(B, T, H * Dh)}. */
    public static NDArray mergeHeads(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3));
    }

    /** Attention without a mask: every query sees every key. */
    public static NDArray forward(NDArray q, NDArray k, NDArray v, float scaling) {
        return attend(q, k, v, scaling, null);
    }

    /**
     * softmax(q kᵀ · scaling + mask) v, the softmax in fp32 whatever the compute type.
     *
     * @param q    [B, H, Tq, Dh]
     * @param k    [B, H, Tk, Dh]
     * @param v    [B, H, Tk, Dh]
     * @param mask additive, broadcastable to [B, H, Tq, Tk]: 0 where a query may look, a large negative where not
     * @return [B, H, Tq, Dh]
     */
    public static NDArray forward(NDArray q, NDArray k, NDArray v, float scaling, NDArray mask) {
        if (mask == null) {
            throw new IllegalArgumentException("no attention mask given; use forward(q, k, v, scaling)");
        }
        return attend(q, k, v, scaling, mask);
    }

    private static NDArray attend(NDArray q, NDArray k, NDArray v, float scaling, NDArray mask) {
        // attn_weights = torch.matmul(query, key_states.transpose(2, 3)) * scaling          [B, H, Tq, Tk]
        // DJL's mul(Number) wraps the float in a tensor over a Java buffer and closes it at once, yet autograd keeps
        // that tensor for the backward pass, which then reads freed memory; a scalar libtorch allocated itself lives
        // as long as autograd holds it. fp32, as mul(Number) made it, so fp16 scores round as before.
        NDArray scale = q.getManager().full(new Shape(), scaling, DataType.FLOAT32);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale);
        if (scores.getDataType() != DataType.FLOAT32) {
            scores = scores.toType(DataType.FLOAT32, false);
        }
        if (mask != null) {
            scores = scores.add(mask);                                      // attn_weights + causal_mask
        }
        // softmax(attn_weights, dim=-1, dtype=torch.float32).to(query.dtype)
        NDArray weights = scores.softmax(-1);
        if (v.getDataType() != DataType.FLOAT32) {
            weights = weights.toType(v.getDataType(), false);
        }
        return weights.matMul(v);                                           // [B, H, Tq, Dh]
    }
}
