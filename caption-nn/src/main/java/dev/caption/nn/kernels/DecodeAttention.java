package dev.caption.nn.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Grouped-query attention of one new position per row over a KV cache, on the CPU: what transformers'
 * {@code eager_attention_forward} computes for a decoding step, without its many tiny batched matmuls (one per row
 * and head, each far below what libtorch's BLAS amortises its call on).
 *
 * <p>Semantics kept: scores {@code (q · k) * scaling} in fp32; a masked key adds float32's minimum, so it gets
 * weight 0 unless every key of the row is masked, in which case HF's softmax sees equal scores and spreads the
 * weight evenly over all keys, as here; softmax in fp32 with the row maximum subtracted.
 */
public final class DecodeAttention {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** The cache of one layer: keys and values [B, kvHeads, capacity, Dh] fp32 little-endian, first {@code length} valid. */
    public record Cache(ByteBuffer keys, ByteBuffer values, int capacity, int length) {
    }

    /** The shape of the heads: query heads share kv heads in groups of {@code heads / kvHeads}. */
    public record Heads(int heads, int kvHeads, int headDim, float scaling) {
    }

    private DecodeAttention() {
    }

    /**
     * {@code out = softmax(q kᵀ · scaling + mask) v}, per row and head.
     *
     * @param q      [B, heads, Dh] (the new position's queries after norm and RoPE), row-major
     * @param mask   per row, 1 for a key the row may see and 0 for padding, over the cache's {@code length} keys
     * @param scores room for the attention weights, at least [B, heads, length] floats (reused by the caller)
     * @param out    [B, heads * Dh] (heads merged, as o_proj takes them), row-major
     */
    public static void attend(KernelThreads threads, Heads h, float[] q, Cache cache, int[][] mask, float[] scores,
                              float[] out) {
        int b = mask.length;
        int groups = h.heads() / h.kvHeads();
        int dh = h.headDim();
        int s = cache.length();
        if (scores.length < (long) b * h.heads() * s || out.length < b * h.heads() * dh) {
            throw new IllegalArgumentException("attention of " + b + " rows over " + s + " keys needs " + b * h.heads() * s
                    + " floats of scores and " + b * h.heads() * dh + " of output, not " + scores.length + " and " + out.length);
        }
        java.util.Arrays.fill(out, 0, b * h.heads() * dh, 0f);
        threads.run(b * h.kvHeads(), task -> {
            int row = task / h.kvHeads();
            int kv = task % h.kvHeads();
            if (mask[row].length != s) {
                throw new IllegalArgumentException("attention mask row " + row + " has " + mask[row].length
                        + " entries for " + s + " keys");
            }
            long head0 = ((long) row * h.kvHeads() + kv) * cache.capacity() * dh * 4;   // cache[row, kv, 0, 0]
            int first = row * h.heads() + kv * groups;                                // the group's first query head
            for (int g = 0; g < groups; g++) {
                int qAt = (first + g) * dh;                                           // q[row, kv * groups + g]
                int at = (first + g) * s;                                             // scores[row, head, :]
                for (int j = 0; j < s; j++) {
                    // attn_weights = torch.matmul(query, key_states.transpose(2, 3)) * scaling
                    scores[at + j] = dot(q, qAt, cache.keys(), (int) (head0 + (long) j * dh * 4), dh) * h.scaling();
                }
                softmax(scores, at, s, mask[row]);
            }
            // attn_output = torch.matmul(attn_weights, value_states), each value row read once for the group
            for (int j = 0; j < s; j++) {
                int vAt = (int) (head0 + (long) j * dh * 4);
                for (int g = 0; g < groups; g++) {
                    float p = scores[(first + g) * s + j];
                    if (p != 0f) {
                        axpy(p, cache.values(), vAt, out, (first + g) * dh, dh);
                    }
                }
            }
        });
    }

    /** q[qAt, qAt + n) · k[kAt bytes, +n floats), fp32. */
    private static float dot(float[] q, int qAt, ByteBuffer k, int kAt, int n) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            acc = FloatVector.fromArray(SPECIES, q, qAt + i).fma(FloatVector.fromByteBuffer(SPECIES, k, kAt + 4 * i, LE), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += q[qAt + i] * k.getFloat(kAt + 4 * i);
        }
        return sum;
    }

    /** acc[at, at + n) += p * v[vAt bytes, +n floats). */
    private static void axpy(float p, ByteBuffer v, int vAt, float[] acc, int at, int n) {
        FloatVector pv = FloatVector.broadcast(SPECIES, p);
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector.fromByteBuffer(SPECIES, v, vAt + 4 * i, LE).fma(pv, FloatVector.fromArray(SPECIES, acc, at + i))
                    .intoArray(acc, at + i);
        }
        for (; i < n; i++) {
            acc[at + i] += p * v.getFloat(vAt + 4 * i);
        }
    }

    /**
     * softmax(scores + mask) in place over scores[at, at + n): masked keys get 0, or all keys the same weight if
     * none is visible.
     */
    private static void softmax(float[] scores, int at, int n, int[] visible) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            if (visible[j] != 0) {
                max = Math.max(max, scores[at + j]);
            }
        }
        if (max == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(scores, at, at + n, 1f / n);
            return;
        }
        float sum = 0f;
        for (int j = 0; j < n; j++) {
            float e = visible[j] != 0 ? (float) Math.exp(scores[at + j] - max) : 0f;
            scores[at + j] = e;
            sum += e;
        }
        for (int j = 0; j < n; j++) {
            scores[at + j] /= sum;
        }
    }
}
