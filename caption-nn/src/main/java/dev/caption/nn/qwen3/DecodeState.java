package dev.caption.nn.qwen3;

import java.nio.ByteBuffer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.kernels.CpuKernels;

/**
 * What a decoding step on the CPU kernels holds between its ops: the residual stream and each op's output as Java
 * arrays [B, width] row-major, attention's scores, and one direct buffer for the matmul kernel to write into. A
 * generation's {@link KvCache} owns one and every step reuses it, so that a step allocates next to nothing (at batch
 * 32, fresh arrays would be ~16 MB of garbage a step, which the Java heap grows to absorb).
 */
final class DecodeState {
    final int batch;
    final int heads;
    final float[] x;                 // the residual stream [B, H]
    final float[] normed;            // a norm's output [B, H]
    final float[] qkv;               // qkv_proj [B, (heads + 2 kvHeads) * Dh]
    final float[] q;                 // [B, heads, Dh] after q_norm and RoPE
    final float[] k;                 // [B, kvHeads, Dh] after k_norm and RoPE
    final float[] v;                 // [B, kvHeads, Dh]
    final float[] attention;         // attention's output, heads merged [B, heads * Dh]
    final float[] gateUp;            // gate_up_proj [B, 2I]
    final float[] act;               // silu(gate) * up [B, I]
    final float[] projected;         // o_proj or down_proj [B, H]
    final ByteBuffer scratch;        // the matmul kernel's output, as wide as the widest of them
    private final NDArray scratchArray;  // the memory behind scratch
    float[] scores = new float[0];   // attention weights [B, heads, S]: sized by the step, grown as S grows
    int[][] mask;                    // this step's [B][S]: 1 for a key, 0 for padding, the new position included
    float[][] cosSin;                // this step's cos and signed sin of each row's position [B, Dh]

    DecodeState(Qwen3Config c, int batch, NDManager owner) {
        this.batch = batch;
        this.heads = c.numAttentionHeads();
        int dh = c.headDim();
        int qkvWidth = (c.numAttentionHeads() + 2 * c.numKeyValueHeads()) * dh;
        x = new float[batch * c.hiddenSize()];
        normed = new float[x.length];
        qkv = new float[batch * qkvWidth];
        q = new float[batch * c.numAttentionHeads() * dh];
        k = new float[batch * c.numKeyValueHeads() * dh];
        v = new float[k.length];
        attention = new float[q.length];
        gateUp = new float[batch * 2 * c.intermediateSize()];
        act = new float[batch * c.intermediateSize()];
        projected = new float[x.length];
        long widest = Math.max(qkvWidth, Math.max(2L * c.intermediateSize(), c.hiddenSize()));
        scratchArray = owner.create(new Shape(batch, widest), DataType.FLOAT32);
        scratch = CpuKernels.memory(scratchArray);
    }

    /** Frees the kernel's output buffer (the arrays go with the garbage collector). */
    void close() {
        scratchArray.close();
    }

    /** Starts a step: the new positions' embeddings [B, 1, H] into x, and the step's mask and rotary tables. */
    void begin(NDArray inputsEmbeds, float[][] cosSin, int[][] mask) {
        NDArray embeds = inputsEmbeds.getDataType() == DataType.FLOAT32 ? inputsEmbeds
                : inputsEmbeds.toType(DataType.FLOAT32, false);
        CpuKernels.memory(embeds).asFloatBuffer().get(0, x, 0, x.length);
        int needed = batch * heads * mask[0].length;
        if (scores.length < needed) {
            scores = new float[Math.max(needed, 2 * scores.length)];          // doubling: a few sizes per generation
        }
        this.mask = mask;
        this.cosSin = cosSin;
    }
}
