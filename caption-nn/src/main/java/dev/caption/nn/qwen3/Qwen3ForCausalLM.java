package dev.caption.nn.qwen3;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.caption.nn.modules.EagerAttention;
import dev.caption.nn.modules.Embedding;
import dev.caption.nn.modules.LinearW;
import dev.caption.nn.modules.RmsNormW;
import dev.caption.nn.modules.Scope;
import dev.caption.nn.weights.Checkpoint;
import dev.caption.nn.weights.WeightLoader;

/**
 * transformers' Qwen3ForCausalLM (modeling_qwen3.py, v4.51.3), eager attention, fp32 on the CPU: one class per
 * module, fields named as the checkpoint keys. RMSNorm in fp32, q_norm/k_norm per head before RoPE, half-split RoPE,
 * grouped-query attention with a KV cache, SwiGLU MLP, and a tied lm_head when {@code tie_word_embeddings}.
 */
public final class Qwen3ForCausalLM implements AutoCloseable {

    private final Qwen3Config config;
    private final NDManager manager;
    /** FLOAT32, or FLOAT16 for matmul weights and activations (GPU); norms and softmax always run in fp32. */
    private final DataType compute;
    private final List<ByteBuffer> buffers;
    final NDArray embedTokens;            // model.embed_tokens.weight [V, H]
    final List<DecoderLayer> layers = new ArrayList<>();
    final RmsNormW norm;                  // model.norm
    final LinearW lmHead;                 // lm_head.weight [V, H], or embed_tokens when tied
    final Rope rope;

    /** What one forward pass returns. */
    public record Output(NDArray lastHiddenState, List<NDArray> hiddenStates, NDArray lastLayerOutput) {
    }

    private Qwen3ForCausalLM(Qwen3Config config, Checkpoint checkpoint, NDManager parent, DataType compute) {
        this(config, parent.newSubManager(), manager -> new WeightLoader(checkpoint, manager), compute);
    }

    private Qwen3ForCausalLM(Qwen3Config config, NDManager own, java.util.function.Function<NDManager, WeightLoader> loader,
                             DataType compute) {
        this.config = config;
        this.manager = own;
        this.compute = compute;
        WeightLoader loaded = loader.apply(manager);
        Weights w = new Weights(loaded, compute);
        int h = config.hiddenSize();
        embedTokens = w.matrix("model.embed_tokens.weight", config.vocabSize(), h);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new DecoderLayer(w, "model.layers." + i + ".", config));
        }
        norm = new RmsNormW(w.vector("model.norm.weight", h), config.rmsNormEps());
        if (config.tieWordEmbeddings()) {
            lmHead = LinearW.noBias(embedTokens);
            // Qwen/Qwen3-0.6B also stores lm_head.weight; tied, transformers ignores it, and so do we
            loaded.finish("Qwen3 (" + config.numHiddenLayers() + " layers, hidden " + h + ")", "lm_head.");
        } else {
            lmHead = LinearW.noBias(w.matrix("lm_head.weight", config.vocabSize(), h));
            loaded.finish("Qwen3 (" + config.numHiddenLayers() + " layers, hidden " + h + ")");
        }
        rope = new Rope(config.headDim(), config.ropeTheta());
        buffers = loaded.buffers();
    }

    public static Qwen3ForCausalLM load(Path dir, List<String> weightFiles, NDManager manager) {
        return load(dir, weightFiles, manager, DataType.FLOAT32);
    }

    /** Loads with matmul weights in {@code compute} (FLOAT32, or FLOAT16 on a GPU). */
    public static Qwen3ForCausalLM load(Path dir, List<String> weightFiles, NDManager manager, DataType compute) {
        if (compute != DataType.FLOAT32 && compute != DataType.FLOAT16) {
            throw new IllegalArgumentException("Qwen3 computes in float32 or float16, not " + compute
                    + " (bfloat16 aborts DJL's PyTorch engine)");
        }
        Qwen3Config config = Qwen3Config.read(dir.resolve("config.json"));
        try (Checkpoint checkpoint = Checkpoint.open(dir, weightFiles)) {
            return new Qwen3ForCausalLM(config, checkpoint, manager, compute);
        }
    }

    /** Weights for the modules: matrices in the compute type, norm weights in fp32. */
    record Weights(WeightLoader loader, DataType compute) {
        NDArray matrix(String name, long... shape) {
            NDArray a = loader.take(name, shape);
            if (compute == DataType.FLOAT32 || a.getShape().dimension() == 0) {
                return a;
            }
            NDArray converted = a.toType(compute, false);
            a.close();
            return converted;
        }

        NDArray vector(String name, long... shape) {
            return loader.take(name, shape);
        }
    }

    /** A model of {@code config}'s size with N(0, 0.02) weights, for benchmarks (speed does not depend on values). */
    public static Qwen3ForCausalLM random(Qwen3Config config, NDManager manager, long seed) {
        return new Qwen3ForCausalLM(config, manager.newSubManager(), m -> WeightLoader.random(m, seed), DataType.FLOAT32);
    }

    /**
     * Parameters of a model of this config, counted from the shapes the modules ask for, allocating nothing
     * (tied embeddings counted once).
     */
    public static long parameterCount(Qwen3Config config, NDManager manager) {
        return checkpointShapes(config, manager).values().stream().mapToLong(s -> new Shape(s).size()).sum();
    }

    /** The checkpoint layout (name to shape) of a model of {@code config}, allocating nothing. */
    public static java.util.Map<String, long[]> checkpointShapes(Qwen3Config config, NDManager manager) {
        return WeightLoader.layout(manager, (scratch, loader) -> new Qwen3ForCausalLM(config, scratch, loader, DataType.FLOAT32));
    }

    public Qwen3Config config() {
        return config;
    }

    /** embed_tokens(ids): [n] -> [n, H], in fp32 whatever the compute type (forward casts). */
    public NDArray embed(NDManager scope, long[] ids) {
        NDArray rows = Embedding.lookup(embedTokens, ids, scope);                      // [n, H]
        return rows.getDataType() == DataType.FLOAT32 ? rows : rows.toType(DataType.FLOAT32, false);
    }

    /**
     * One forward pass over new positions.
     *
     * @param inputsEmbeds  [B, T, H]
     * @param positionIds   per row, the RoPE position of each new token [B][T]
     * @param attentionMask per row, 1 for a real key and 0 for padding, over cache + new tokens [B][S]
     * @param cache         the KV cache, extended in place (null: none kept)
     */
    public Output forward(NDArray inputsEmbeds, long[][] positionIds, int[][] attentionMask, KvCache cache,
                          boolean keepHiddenStates) {
        NDManager m = inputsEmbeds.getManager();
        long b = inputsEmbeds.getShape().get(0);
        int t = (int) inputsEmbeds.getShape().get(1);
        int past = cache == null ? 0 : cache.length();
        NDArray[] cosSin = rope.cosSin(m, positionIds);                       // [B, 1, T, Dh] each
        if (compute != DataType.FLOAT32) {
            cosSin = new NDArray[] {cosSin[0].toType(compute, false), cosSin[1].toType(compute, false)};
        }
        NDArray mask = causalMask(m, attentionMask, t, past);                 // [B, 1, T, S], fp32
        NDArray hidden = inputsEmbeds.getDataType() == compute ? inputsEmbeds : inputsEmbeds.toType(compute, false);
        List<NDArray> states = new ArrayList<>();
        if (keepHiddenStates) {
            states.add(hidden);
        }
        for (int i = 0; i < layers.size(); i++) {
            hidden = layers.get(i).forward(hidden, cosSin, mask, cache, i);
            if (keepHiddenStates && i < layers.size() - 1) {
                states.add(hidden);
            }
        }
        if (cache != null) {
            cache.advance(t);
        }
        NDArray lastLayer = hidden;
        NDArray normed = norm.forward(hidden);
        if (keepHiddenStates) {
            states.add(normed);                // HF: hidden_states[-1] is after the final norm
        }
        return new Output(normed, states, lastLayer);
    }

    /** lm_head on the last position of each row: [B, T, H] -> [B, V]. */
    public NDArray lastLogits(NDArray hidden) {
        long t = hidden.getShape().get(1);
        NDArray last = hidden.get(new NDIndex(":, {}, :", t - 1));             // [B, H]
        // F.linear, not matMul(lmHead.transpose()): a transpose of a model weight would belong to the model's
        // manager and outlive the step (622 MB a step at 0.6B)
        return lmHead.forward(last).toType(DataType.FLOAT32, false);           // [B, V], fp32 as HF casts
    }

    /** lm_head on chosen positions: [N, H] -> [N, V], fp32. */
    public NDArray logits(NDArray rows) {
        return lmHead.forward(rows).toType(DataType.FLOAT32, false);
    }

    /**
     * HF's 4-D mask: 0 where a query may attend, float32 min where not (causal, or a padded key). Fully masked
     * rows (a padding query) stay finite, so softmax gives no NaN.
     */
    static NDArray causalMask(NDManager m, int[][] attentionMask, int t, int past) {
        int b = attentionMask.length;
        int s = past + t;
        float[] mask = new float[b * t * s];
        for (int r = 0; r < b; r++) {
            if (attentionMask[r].length != s) {
                throw new IllegalArgumentException("attention mask row " + r + " has " + attentionMask[r].length
                        + " entries for " + s + " keys");
            }
            for (int q = 0; q < t; q++) {
                for (int k = 0; k < s; k++) {
                    boolean visible = k <= past + q && attentionMask[r][k] != 0;
                    mask[(r * t + q) * s + k] = visible ? 0f : -Float.MAX_VALUE;
                }
            }
        }
        return m.create(mask, new Shape(b, 1, t, s));
    }

    @Override
    public void close() {
        manager.close();
        buffers.clear();
    }

    // ------------------------------------------------------------------ modules

    /** Rotary embedding, half-split (rotate_half), theta from the config. */
    static final class Rope {
        private final float[] invFreq;      // [Dh/2]
        private final int headDim;

        Rope(int headDim, double theta) {
            this.headDim = headDim;
            invFreq = new float[headDim / 2];
            for (int i = 0; i < invFreq.length; i++) {
                // inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
                float exponent = (float) (2 * i) / headDim;
                invFreq[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
            }
        }

        /** cos and sin [B, 1, T, Dh] for the given positions: emb = cat(freqs, freqs). */
        NDArray[] cosSin(NDManager m, long[][] positions) {
            int b = positions.length;
            int t = positions[0].length;
            float[] freqs = new float[b * t * headDim];
            for (int r = 0; r < b; r++) {
                for (int p = 0; p < t; p++) {
                    for (int i = 0; i < invFreq.length; i++) {
                        float f = invFreq[i] * (float) positions[r][p];
                        int o = (r * t + p) * headDim;
                        freqs[o + i] = f;
                        freqs[o + i + invFreq.length] = f;
                    }
                }
            }
            NDArray emb = m.create(freqs, new Shape(b, 1, t, headDim));
            return new NDArray[] {emb.cos(), emb.sin()};
        }

        /** q * cos + rotate_half(q) * sin, rotate_half(x) = cat(-x2, x1). */
        NDArray apply(NDArray x, NDArray[] cosSin) {
            long half = headDim / 2;
            NDArray x1 = x.get(new NDIndex("..., :{}", half));
            NDArray x2 = x.get(new NDIndex("..., {}:", half));
            NDArray rotated = x2.neg().concat(x1, -1);
            return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
        }
    }

    /** Qwen3Attention: GQA, q_norm/k_norm per head before RoPE, no biases. */
    static final class Attention {
        final LinearW qProj;       // [heads*Dh, H]
        final LinearW kProj;       // [kvHeads*Dh, H]
        final LinearW vProj;       // [kvHeads*Dh, H]
        final LinearW oProj;       // [H, heads*Dh]
        final RmsNormW qNorm;      // over Dh
        final RmsNormW kNorm;
        final int heads;
        final int kvHeads;
        final int headDim;
        final float scaling;

        Attention(Weights w, String prefix, Qwen3Config c) {
            heads = c.numAttentionHeads();
            kvHeads = c.numKeyValueHeads();
            headDim = c.headDim();
            int h = c.hiddenSize();
            qProj = LinearW.noBias(w.matrix(prefix + "q_proj.weight", (long) heads * headDim, h));
            kProj = LinearW.noBias(w.matrix(prefix + "k_proj.weight", (long) kvHeads * headDim, h));
            vProj = LinearW.noBias(w.matrix(prefix + "v_proj.weight", (long) kvHeads * headDim, h));
            oProj = LinearW.noBias(w.matrix(prefix + "o_proj.weight", h, (long) heads * headDim));
            qNorm = new RmsNormW(w.vector(prefix + "q_norm.weight", headDim), c.rmsNormEps());
            kNorm = new RmsNormW(w.vector(prefix + "k_norm.weight", headDim), c.rmsNormEps());
            scaling = (float) Math.pow(headDim, -0.5);
        }

        NDArray forward(NDArray x, NDArray[] cosSin, NDArray mask, Rope rope, KvCache cache, int layer) {
            long b = x.getShape().get(0);
            long t = x.getShape().get(1);
            // q_norm(q_proj(x).view(B, T, -1, Dh)).transpose(1, 2)              [B, heads, T, Dh]
            NDArray q = qNorm.forward(qProj.forward(x).reshape(b, t, heads, headDim)).transpose(0, 2, 1, 3);
            // k_norm(k_proj(x).view(B, T, -1, Dh)).transpose(1, 2)              [B, kvHeads, T, Dh]
            NDArray k = kNorm.forward(kProj.forward(x).reshape(b, t, kvHeads, headDim)).transpose(0, 2, 1, 3);
            // v_proj(x).view(B, T, -1, Dh).transpose(1, 2)                      [B, kvHeads, T, Dh]
            NDArray v = EagerAttention.splitHeads(vProj.forward(x), kvHeads, headDim);
            q = rope.apply(q, cosSin);
            k = rope.apply(k, cosSin);
            NDManager step = x.getManager();
            if (cache != null) {
                NDArray[] kv = cache.append(layer, k, v);                       // [B, kvHeads, S, Dh]
                // ops on the cache's arrays would land in the cache's manager and pile up: start them in the step's
                k = Scope.into(step, kv[0].expandDims(2));                      // [B, kvHeads, 1, S, Dh]
                v = Scope.into(step, kv[1].expandDims(2));
            } else {
                k = k.expandDims(2);
                v = v.expandDims(2);
            }
            int groups = heads / kvHeads;
            // repeat_kv: [B, kvH, 1, S, Dh] -> [B, kvH * groups, S, Dh]
            long s = k.getShape().get(3);
            k = (groups > 1 ? k.repeat(2, groups) : k).reshape(b, heads, s, headDim);
            v = (groups > 1 ? v.repeat(2, groups) : v).reshape(b, heads, s, headDim);
            // eager_attention_forward(q, k, v, mask, scaling)                   [B, heads, T, Dh]
            NDArray out = EagerAttention.forward(q, k, v, scaling, mask);
            return oProj.forward(EagerAttention.mergeHeads(out));               // [B, T, H]
        }
    }

    /** Qwen3MLP: down_proj(silu(gate_proj(x)) * up_proj(x)). */
    static final class Mlp {
        final LinearW gateProj;    // [I, H]
        final LinearW upProj;      // [I, H]
        final LinearW downProj;    // [H, I]

        Mlp(Weights w, String prefix, Qwen3Config c) {
            gateProj = LinearW.noBias(w.matrix(prefix + "gate_proj.weight", c.intermediateSize(), c.hiddenSize()));
            upProj = LinearW.noBias(w.matrix(prefix + "up_proj.weight", c.intermediateSize(), c.hiddenSize()));
            downProj = LinearW.noBias(w.matrix(prefix + "down_proj.weight", c.hiddenSize(), c.intermediateSize()));
        }

        /** x [B, T, H] -> [B, T, H]. */
        NDArray forward(NDArray x) {
            NDArray g = gateProj.forward(x);                                         // [B, T, I]
            NDArray gate = g.mul(Activation.sigmoid(g));                             // silu(g)
            return downProj.forward(gate.mul(upProj.forward(x)));                    // down_proj(silu(g) * up_proj(x))
        }
    }

    /** Qwen3DecoderLayer (pre-norm). */
    final class DecoderLayer {
        final RmsNormW inputLayernorm;
        final Attention selfAttn;
        final RmsNormW postAttentionLayernorm;
        final Mlp mlp;

        DecoderLayer(Weights w, String prefix, Qwen3Config c) {
            inputLayernorm = new RmsNormW(w.vector(prefix + "input_layernorm.weight", c.hiddenSize()), c.rmsNormEps());
            selfAttn = new Attention(w, prefix + "self_attn.", c);
            postAttentionLayernorm = new RmsNormW(w.vector(prefix + "post_attention_layernorm.weight", c.hiddenSize()),
                    c.rmsNormEps());
            mlp = new Mlp(w, prefix + "mlp.", c);
        }

        NDArray forward(NDArray x, NDArray[] cosSin, NDArray mask, KvCache cache, int layer) {
            NDArray h = x.add(selfAttn.forward(inputLayernorm.forward(x), cosSin, mask, rope, cache, layer));
            return h.add(mlp.forward(postAttentionLayernorm.forward(h)));
        }
    }

}
