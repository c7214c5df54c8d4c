package dev.caption.nn.qwen3;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.caption.nn.kernels.CpuKernels;
import dev.caption.nn.kernels.DecodeAttention;
import dev.caption.nn.kernels.KernelThreads;
import dev.caption.nn.kernels.PanelMatrix;
import dev.caption.nn.kernels.VectorOps;
import dev.caption.nn.modules.EagerAttention;
import dev.caption.nn.modules.Embedding;
import dev.caption.nn.modules.LinearModule;
import dev.caption.nn.modules.LinearW;
import dev.caption.nn.modules.PanelLinear;
import dev.caption.nn.modules.RmsNormW;
import dev.caption.nn.modules.Scope;
import dev.caption.nn.weights.Checkpoint;
import dev.caption.nn.weights.WeightLoader;
import dev.caption.tensor.DType;

/**
 * transformers' Qwen3ForCausalLM (modeling_qwen3.py, v4.51.3), eager attention, fp32 on the CPU: one class per
 * module, fields named as the checkpoint keys. RMSNorm in fp32, q_norm/k_norm per head before RoPE, half-split RoPE,
 * grouped-query attention with a KV cache, SwiGLU MLP, and a tied lm_head when {@code tie_word_embeddings}.
 *
 * <p>A model is loaded for a {@link Use}. For training, every weight is a libtorch tensor and autograd goes through
 * the whole model. For generation on a CPU in fp32, the matmul weights are packed for the CPU kernels
 * ({@link PanelMatrix}) and a decoding step's attention runs in {@link DecodeAttention}; the rest stays on libtorch.
 * Both compute the same function: the fixtures hold both to transformers' outputs.
 */
public final class Qwen3ForCausalLM implements AutoCloseable {

    /** What a model is loaded for; the weights' layout follows. */
    public enum Use {
        /** Teacher forcing with gradients, and generation: weights as libtorch tensors. */
        TRAINING,
        /**
         * Generation only: on a CPU in fp32, weights packed for the CPU kernels when this JVM can run them
         * ({@link CpuKernels}); otherwise, on a GPU or in fp16, as for training.
         */
        GENERATION
    }

    private final Qwen3Config config;
    private final NDManager manager;
    /** FLOAT32, or FLOAT16 for matmul weights and activations (GPU); norms and softmax always run in fp32. */
    private final DataType compute;
    private final List<ByteBuffer> buffers;
    /** The weights' bytes as loaded (see {@link #weightBytes}). */
    private final long weightBytes;
    private final Use use;
    /** The CPU kernels' threads when the weights are packed for them; null when libtorch computes everything. */
    private final KernelThreads kernels;
    final TokenTable embedTokens;         // model.embed_tokens.weight [V, H]
    final List<DecoderLayer> layers = new ArrayList<>();
    final RmsNormW norm;                  // model.norm
    final float[] normWeight;             // model.norm.weight [H] for decoding steps on the kernels (null without)
    final LinearModule lmHead;            // lm_head.weight [V, H], or embed_tokens when tied
    final Rope rope;

    /** What one forward pass returns. */
    public record Output(NDArray lastHiddenState, List<NDArray> hiddenStates, NDArray lastLayerOutput) {
    }

    private Qwen3ForCausalLM(Qwen3Config config, NDManager own, java.util.function.Function<NDManager, WeightLoader> loader,
                             DataType compute, Use use, KernelThreads kernels) {
        this.config = config;
        this.manager = own;
        this.compute = compute;
        this.use = use;
        this.kernels = kernels;
        WeightLoader loaded = loader.apply(manager);
        Layout w = kernels == null ? new TensorLayout(loaded, compute) : new PanelLayout(loaded, kernels);
        int h = config.hiddenSize();
        int v = config.vocabSize();
        embedTokens = w.table("model.embed_tokens.weight", v, h, config.tieWordEmbeddings());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new DecoderLayer(w, "model.layers." + i + ".", config));
        }
        norm = new RmsNormW(w.vector("model.norm.weight", h), config.rmsNormEps());
        normWeight = kernels == null ? null : norm.weight().toFloatArray();
        if (config.tieWordEmbeddings()) {
            lmHead = w.tied(embedTokens);
            // Qwen/Qwen3-0.6B also stores lm_head.weight; tied, transformers ignores it, and so do we
            loaded.finish("Qwen3 (" + config.numHiddenLayers() + " layers, hidden " + h + ")", "lm_head.");
        } else {
            lmHead = w.linear("lm_head.weight", v, h);
            loaded.finish("Qwen3 (" + config.numHiddenLayers() + " layers, hidden " + h + ")");
        }
        rope = new Rope(config.headDim(), config.ropeTheta());
        buffers = loaded.buffers();
        weightBytes = loaded.bytesHandedOut();
    }

    /** Builds a model on {@code loader}'s weights for {@code use}, closing what it made if that fails. */
    private static Qwen3ForCausalLM build(Qwen3Config config, NDManager parent,
                                          java.util.function.Function<NDManager, WeightLoader> loader, DataType compute,
                                          Use use) {
        boolean packed = kernelsApply(use, compute, parent.getDevice()) && CpuKernels.available();
        KernelThreads kernels = packed ? CpuKernels.threads() : null;
        NDManager own = parent.newSubManager();
        try {
            return new Qwen3ForCausalLM(config, own, loader, compute, use, kernels);
        } catch (RuntimeException e) {
            own.close();
            if (kernels != null) {
                kernels.close();
            }
            throw e;
        }
    }

    /** Whether a model for {@code use} in {@code compute} on {@code device} is one the CPU kernels would run. */
    private static boolean kernelsApply(Use use, DataType compute, Device device) {
        return use == Use.GENERATION && compute == DataType.FLOAT32 && !device.isGpu();
    }

    /** Loads for training (every weight a libtorch tensor), fp32. */
    public static Qwen3ForCausalLM load(Path dir, List<String> weightFiles, NDManager manager) {
        return load(dir, weightFiles, manager, DataType.FLOAT32, Use.TRAINING);
    }

    /** Loads for {@code use} with matmul weights in {@code compute} (FLOAT32, or FLOAT16 on a GPU). */
    public static Qwen3ForCausalLM load(Path dir, List<String> weightFiles, NDManager manager, DataType compute, Use use) {
        if (compute != DataType.FLOAT32 && compute != DataType.FLOAT16) {
            throw new IllegalArgumentException("Qwen3 computes in float32 or float16, not " + compute
                    + " (bfloat16 aborts DJL's PyTorch engine)");
        }
        Qwen3Config config = Qwen3Config.read(dir.resolve("config.json"));
        try (Checkpoint checkpoint = Checkpoint.open(dir, weightFiles)) {
            return build(config, manager, m -> new WeightLoader(checkpoint, m), compute, use);
        }
    }

    /**
     * Matrices for the modules: as libtorch tensors (matrices in the compute type, stacks concatenated once), or
     * packed for the CPU kernel. Norm weights are fp32 tensors in both.
     */
    private sealed interface Layout permits TensorLayout, PanelLayout {
        WeightLoader loader();

        /** A norm's weight, fp32. */
        default NDArray vector(String name, long... shape) {
            return loader().take(name, shape);
        }

        /** One bias-free projection [out, in]. */
        LinearModule linear(String name, int out, int in);

        /**
         * Projections [rows_i, in] stacked along the output dimension, torch.cat(parts, 0), so that one matmul
         * computes them all ({@link Stack#all}); each part is a view of the stack, not a copy.
         */
        Stack stack(int in, WeightLoader.Part... parts);

        /** model.embed_tokens [rows, cols]; {@code tied}: it is lm_head too. */
        TokenTable table(String name, int rows, int cols, boolean tied);

        /** lm_head on a tied embedding table. */
        LinearModule tied(TokenTable table);
    }

    /** A stacked projection and its parts, in the order given. */
    record Stack(LinearModule all, List<LinearModule> parts) {
    }

    private record TensorLayout(WeightLoader loader, DataType compute) implements Layout {

        /** A matrix in the compute type; a layout-only loader's placeholder stays a placeholder. */
        NDArray matrix(String name, long... shape) {
            NDArray a = loader.take(name, shape);
            if (compute == DataType.FLOAT32 || a.getShape().dimension() == 0) {
                return a;
            }
            NDArray converted = a.toType(compute, false);
            a.close();
            return converted;
        }

        @Override
        public LinearModule linear(String name, int out, int in) {
            return LinearW.noBias(matrix(name, out, in));
        }

        @Override
        public Stack stack(int in, WeightLoader.Part... parts) {
            NDArray[] matrices = new NDArray[parts.length];
            for (int i = 0; i < parts.length; i++) {
                matrices[i] = matrix(parts[i].name(), parts[i].rows(), in);
            }
            NDArray all = concatenated(matrices);
            List<LinearModule> views = new ArrayList<>();
            long from = 0;
            for (WeightLoader.Part part : parts) {
                views.add(LinearW.noBias(all.getShape().dimension() == 0 ? all
                        : all.get(new NDIndex("{}:{}", from, from + part.rows()))));        // rows of the stack: views
                from += part.rows();
            }
            return new Stack(LinearW.noBias(all), views);
        }

        /** torch.cat(parts, 0), the parts freed; placeholders (a layout-only loader) stay a placeholder. */
        private static NDArray concatenated(NDArray... parts) {
            for (NDArray p : parts) {
                if (p.getShape().dimension() == 0) {
                    return p;
                }
            }
            NDArray all = ai.djl.ndarray.NDArrays.concat(new NDList(parts), 0);
            for (NDArray p : parts) {
                p.close();
            }
            return all;
        }

        @Override
        public TokenTable table(String name, int rows, int cols, boolean tied) {
            return new TokenTable.Tensor(matrix(name, rows, cols));
        }

        @Override
        public LinearModule tied(TokenTable table) {
            return LinearW.noBias(((TokenTable.Tensor) table).weight());
        }
    }

    private record PanelLayout(WeightLoader loader, KernelThreads threads) implements Layout {

        @Override
        public LinearModule linear(String name, int out, int in) {
            return new PanelLinear(loader.packed(List.of(new WeightLoader.Part(name, out)), in, threads), threads);
        }

        @Override
        public Stack stack(int in, WeightLoader.Part... parts) {
            PanelMatrix all = loader.packed(List.of(parts), in, threads);
            List<LinearModule> views = new ArrayList<>();
            int from = 0;
            for (WeightLoader.Part part : parts) {
                views.add(new PanelLinear(all.rows(from, from + part.rows()), threads));
                from += part.rows();
            }
            return new Stack(new PanelLinear(all, threads), views);
        }

        @Override
        public TokenTable table(String name, int rows, int cols, boolean tied) {
            if (tied) {
                return new TokenTable.Panels(loader.packed(List.of(new WeightLoader.Part(name, rows)), cols, threads));
            }
            return new TokenTable.Tensor(loader.take(name, rows, cols));
        }

        @Override
        public LinearModule tied(TokenTable table) {
            return new PanelLinear(((TokenTable.Panels) table).weight(), threads);
        }
    }

    /**
     * model.embed_tokens: token ids to rows of the [V, H] table, held as a libtorch tensor, or read from the tied
     * lm_head's panels (a model packed for generation keeps the table once).
     */
    sealed interface TokenTable {

        /** embed_tokens(ids): [n] -> [n, H] fp32, in {@code scope}. */
        NDArray lookup(NDManager scope, long[] ids);

        record Tensor(NDArray weight) implements TokenTable {
            @Override
            public NDArray lookup(NDManager scope, long[] ids) {
                NDArray rows = Embedding.lookup(weight, ids, scope);                     // [n, H]
                return rows.getDataType() == DataType.FLOAT32 ? rows : rows.toType(DataType.FLOAT32, false);
            }
        }

        record Panels(PanelMatrix weight) implements TokenTable {
            @Override
            public NDArray lookup(NDManager scope, long[] ids) {
                int h = weight.cols();
                float[] rows = new float[ids.length * h];
                for (int i = 0; i < ids.length; i++) {
                    if (ids[i] < 0 || ids[i] >= weight.rows()) {
                        throw new IndexOutOfBoundsException("token id " + ids[i] + " is outside the vocabulary of "
                                + weight.rows());
                    }
                    weight.row((int) ids[i], rows, i * h);
                }
                return scope.create(rows, new Shape(ids.length, h));                      // [n, H]
            }
        }
    }

    /**
     * A model of {@code config}'s size with N(0, 0.02) weights, for benchmarks (speed does not depend on values).
     * The weights are rounded to bf16, the dtype of Qwen3's hub checkpoints, so that they are laid out as a real
     * checkpoint's are. The same seed gives the same weights for either use.
     */
    public static Qwen3ForCausalLM random(Qwen3Config config, NDManager manager, long seed, Use use) {
        return build(config, manager, m -> WeightLoader.random(m, seed, DType.BF16), DataType.FLOAT32, use);
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
        return WeightLoader.layout(manager,
                (scratch, loader) -> new Qwen3ForCausalLM(config, scratch, loader, DataType.FLOAT32, Use.TRAINING, null));
    }

    public Qwen3Config config() {
        return config;
    }

    /**
     * The bytes the weights take as loaded: fp32 tensors, and packed matrices in their panels' format (bf16 ones for
     * a bf16 checkpoint). What a decoding step reads; before conversion for a FLOAT16 model.
     */
    public long weightBytes() {
        return weightBytes;
    }

    /**
     * Which engine computes: "cpu kernels (N threads)" when the weights are packed for them, else "libtorch" and,
     * for a model loaded for generation on a CPU in fp32, why the kernels are not used.
     */
    public String engine() {
        if (kernels != null) {
            return "cpu kernels (" + kernels.size() + " threads)";
        }
        if (!kernelsApply(use, compute, manager.getDevice())) {
            return "libtorch";
        }
        return CpuKernels.unavailable().map(reason -> "libtorch (cpu kernels off: " + reason + ")").orElse("libtorch");
    }

    /** embed_tokens(ids): [n] -> [n, H], in fp32 whatever the compute type (forward casts). */
    public NDArray embed(NDManager scope, long[] ids) {
        return embedTokens.lookup(scope, ids);
    }

    /**
     * Tokens (rows times new positions) a pass that fills a KV cache computes at once; a longer prompt batch is
     * fed in chunks of positions. Each chunk attends to the cache and itself, which is the same function, and a
     * layer's temporaries shrink with the chunk: the allocator keeps what the largest pass needed, so a batch of 32
     * prompts of 64 tokens filled in one pass leaves the process ~0.7 GB larger for the rest of the generation. The
     * matmul kernel runs at full speed from 256 rows (its row block).
     */
    static final int CACHE_FILL_TOKENS = 256;

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
        long b = inputsEmbeds.getShape().get(0);
        int t = (int) inputsEmbeds.getShape().get(1);
        int chunk = (int) Math.max(1, CACHE_FILL_TOKENS / b);
        if (cache != null && !keepHiddenStates && t > chunk) {
            return inChunks(inputsEmbeds, positionIds, attentionMask, cache, chunk);
        }
        return pass(inputsEmbeds, positionIds, attentionMask, cache, keepHiddenStates);
    }

    /** {@link #forward} over positions [0, T) of a cache-filling pass, {@code chunk} positions at a time. */
    private Output inChunks(NDArray inputsEmbeds, long[][] positionIds, int[][] attentionMask, KvCache cache,
                            int chunk) {
        int t = (int) inputsEmbeds.getShape().get(1);
        int past = cache.length();
        NDList lastHidden = new NDList();
        NDList lastLayer = new NDList();
        for (int from = 0; from < t; from += chunk) {
            int to = Math.min(t, from + chunk);
            int keys = past + to;
            long[][] positions = new long[positionIds.length][];
            int[][] mask = new int[attentionMask.length][];
            for (int r = 0; r < positions.length; r++) {
                positions[r] = java.util.Arrays.copyOfRange(positionIds[r], from, to);
                mask[r] = java.util.Arrays.copyOf(attentionMask[r], keys);        // the keys seen so far
            }
            NDArray part = inputsEmbeds.get(new NDIndex(":, {}:{}, :", from, to));           // [B, to - from, H]
            Output out = pass(part, positions, mask, cache, false);
            lastHidden.add(out.lastHiddenState());
            lastLayer.add(out.lastLayerOutput());
        }
        return new Output(ai.djl.ndarray.NDArrays.concat(lastHidden, 1), List.of(),
                ai.djl.ndarray.NDArrays.concat(lastLayer, 1));                               // [B, T, H]
    }

    /** One pass over all of {@code inputsEmbeds}' positions. */
    private Output pass(NDArray inputsEmbeds, long[][] positionIds, int[][] attentionMask, KvCache cache,
                        boolean keepHiddenStates) {
        NDManager m = inputsEmbeds.getManager();
        int t = (int) inputsEmbeds.getShape().get(1);
        if (decodesWithKernel(cache, t)) {
            return decodeStep(inputsEmbeds, positionIds, attentionMask, cache, keepHiddenStates);
        }
        int past = cache == null ? 0 : cache.length();
        NDArray[] rotary = rope.cosSin(m, positionIds);                       // [B, T, 1, Dh] each
        NDArray[] cosSin = compute == DataType.FLOAT32 ? rotary
                : new NDArray[] {rotary[0].toType(compute, false), rotary[1].toType(compute, false)};
        int groups = config.numAttentionHeads() / config.numKeyValueHeads();
        NDArray mask = causalMask(m, attentionMask, t, past, groups);                 // [B, 1, groups * T, S], fp32
        NDArray hidden = inputsEmbeds.getDataType() == compute ? inputsEmbeds : inputsEmbeds.toType(compute, false);
        List<NDArray> states = new ArrayList<>();
        if (keepHiddenStates) {
            states.add(hidden);
        }
        for (int i = 0; i < layers.size(); i++) {
            DecoderLayer layer = layers.get(i);
            int index = i;
            hidden = Scope.layer(hidden, x -> layer.forward(x, cosSin, mask, cache, index));
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

    /** Whether this pass is a decoding step on the CPU kernels: one new position, a cache kept, kernels on. */
    private boolean decodesWithKernel(KvCache cache, int t) {
        return kernels != null && cache != null && t == 1;
    }

    /**
     * A decoding step on the CPU kernels with the activations in Java arrays from the embeddings to the final norm:
     * matmuls in {@link PanelMatrix}, attention in {@link DecodeAttention} straight over the cache, the element-wise
     * ops in {@link VectorOps}. The same function as the libtorch path of {@link #forward} for one new position per
     * row, without the dozens of JNI calls and allocations per layer that dominate a step at small batches.
     */
    private Output decodeStep(NDArray inputsEmbeds, long[][] positionIds, int[][] attentionMask, KvCache cache,
                              boolean keepHiddenStates) {
        NDManager m = inputsEmbeds.getManager();
        int b = (int) inputsEmbeds.getShape().get(0);
        int h = config.hiddenSize();
        Shape rows = new Shape(b, 1, h);
        DecodeState s = cache.decodeState(config, b);
        s.begin(inputsEmbeds, rope.table(positionIds), attentionMask);
        List<NDArray> states = new ArrayList<>();
        if (keepHiddenStates) {
            states.add(inputsEmbeds);
        }
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).decode(s, cache, i);
            if (keepHiddenStates && i < layers.size() - 1) {
                states.add(m.create(s.x, rows));
            }
        }
        cache.advance(1);
        float[] normed = new float[b * h];
        VectorOps.rmsNormRows(s.x, b, normWeight, norm.eps(), normed);                        // model.norm
        NDArray lastHidden = m.create(normed, rows);                                          // [B, 1, H]
        if (keepHiddenStates) {
            states.add(lastHidden);
        }
        return new Output(lastHidden, states, m.create(s.x, rows));
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
     *
     * <p>Laid out for grouped attention: the {@code groups} query heads that share a kv head are stacked as rows
     * (row {@code g * T + q}), so each query's mask row repeats {@code groups} times. With groups = 1 this is HF's
     * [B, 1, T, S].
     */
    static NDArray causalMask(NDManager m, int[][] attentionMask, int t, int past, int groups) {
        int b = attentionMask.length;
        int s = past + t;
        float[] mask = new float[b * groups * t * s];
        for (int r = 0; r < b; r++) {
            if (attentionMask[r].length != s) {
                throw new IllegalArgumentException("attention mask row " + r + " has " + attentionMask[r].length
                        + " entries for " + s + " keys");
            }
            for (int q = 0; q < t; q++) {
                int row = (r * groups * t + q) * s;
                for (int k = 0; k < s; k++) {
                    boolean visible = k <= past + q && attentionMask[r][k] != 0;
                    mask[row + k] = visible ? 0f : -Float.MAX_VALUE;
                }
                for (int g = 1; g < groups; g++) {
                    System.arraycopy(mask, row, mask, row + g * t * s, s);
                }
            }
        }
        return m.create(mask, new Shape(b, 1, (long) groups * t, s));
    }

    @Override
    public void close() {
        manager.close();
        buffers.clear();
        if (kernels != null) {
            kernels.close();
        }
    }

    // ------------------------------------------------------------------ modules

    /** Rotary embedding, half-split (rotate_half), theta from the config. */
    static final class Rope {
        private final float[] invFreq;      // [Dh/2]
        private final float[] sinSign;      // [Dh]: -1 on the first half, +1 on the second
        private final int headDim;

        Rope(int headDim, double theta) {
            this.headDim = headDim;
            invFreq = new float[headDim / 2];
            for (int i = 0; i < invFreq.length; i++) {
                // inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
                float exponent = (float) (2 * i) / headDim;
                invFreq[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
            }
            sinSign = new float[headDim];
            java.util.Arrays.fill(sinSign, 0, headDim / 2, -1f);
            java.util.Arrays.fill(sinSign, headDim / 2, headDim, 1f);
        }

        /**
         * cos and a signed sin [B, T, 1, Dh] for the given positions: emb = cat(freqs, freqs), cos(emb), and
         * sin(emb) with its first half negated, so that {@link #apply} needs no negation (x2 * -s is -x2 * s).
         */
        NDArray[] cosSin(NDManager m, long[][] positions) {
            int b = positions.length;
            int t = positions[0].length;
            int half = invFreq.length;
            float[] freqs = new float[b * t * headDim];
            for (int r = 0; r < b; r++) {
                for (int p = 0; p < t; p++) {
                    for (int i = 0; i < half; i++) {
                        float f = invFreq[i] * (float) positions[r][p];
                        int o = (r * t + p) * headDim;
                        freqs[o + i] = f;
                        freqs[o + i + half] = f;
                    }
                }
            }
            NDArray emb = m.create(freqs, new Shape(b, t, 1, headDim));
            return new NDArray[] {emb.cos(), emb.sin().mul(m.create(sinSign))};
        }

        /** cos and signed sin of one position per row, as {@link #cosSin} computes them: [B, Dh] each. */
        float[][] table(long[][] positions) {
            int b = positions.length;
            int half = invFreq.length;
            float[] cos = new float[b * headDim];
            float[] sin = new float[b * headDim];
            for (int r = 0; r < b; r++) {
                for (int i = 0; i < half; i++) {
                    float f = invFreq[i] * (float) positions[r][0];
                    float c = (float) Math.cos(f);
                    float sn = (float) Math.sin(f);
                    cos[r * headDim + i] = c;
                    cos[r * headDim + half + i] = c;
                    sin[r * headDim + i] = -sn;
                    sin[r * headDim + half + i] = sn;
                }
            }
            return new float[][] {cos, sin};
        }

        /** x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x2, x1); x [B, T, N, Dh]. */
        NDArray apply(NDArray x, NDArray[] cosSin) {
            long half = headDim / 2;
            NDList halves = x.split(new long[] {half}, x.getShape().dimension() - 1);   // x1, x2 (views)
            NDArray swapped = halves.get(1).concat(halves.get(0), -1);              // cat(x2, x1); the sign is in sin
            return x.mul(cosSin[0]).add(swapped.mul(cosSin[1]));
        }
    }

    /**
     * Qwen3Attention: GQA, q_norm/k_norm per head before RoPE, no biases. The fields are the checkpoint's modules;
     * the forward pass uses two derived ones built from them at load: q_proj, k_proj and v_proj stacked into one
     * matrix (one matmul instead of three), and the q_norm and k_norm weights laid over their heads (one norm and
     * one RoPE for q and k together). q_proj, k_proj and v_proj are views of the stacked matrix, not copies.
     */
    final class Attention {
        final LinearModule qProj;  // [heads*Dh, H]
        final LinearModule kProj;  // [kvHeads*Dh, H]
        final LinearModule vProj;  // [kvHeads*Dh, H]
        final LinearModule oProj;  // [H, heads*Dh]
        final RmsNormW qNorm;      // over Dh
        final RmsNormW kNorm;
        final LinearModule qkvProj;  // cat([q_proj, k_proj, v_proj]) [(heads + 2 kvHeads) * Dh, H]
        final RmsNormW qkNorm;     // cat([q_norm.expand(heads, Dh), k_norm.expand(kvHeads, Dh)]) [heads + kvHeads, Dh]
        final DecodeAttention.Heads shape;
        final float[] qNormWeight;  // q_norm.weight [Dh] for decoding steps on the kernels (null without them)
        final float[] kNormWeight;  // k_norm.weight [Dh], likewise
        final int heads;
        final int kvHeads;
        final int headDim;
        final float scaling;

        Attention(Layout w, String prefix, Qwen3Config c) {
            heads = c.numAttentionHeads();
            kvHeads = c.numKeyValueHeads();
            headDim = c.headDim();
            int h = c.hiddenSize();
            int qRows = heads * headDim;
            int kvRows = kvHeads * headDim;
            Stack qkv = w.stack(h, new WeightLoader.Part(prefix + "q_proj.weight", qRows),
                    new WeightLoader.Part(prefix + "k_proj.weight", kvRows),
                    new WeightLoader.Part(prefix + "v_proj.weight", kvRows));
            qkvProj = qkv.all();
            qProj = qkv.parts().get(0);
            kProj = qkv.parts().get(1);
            vProj = qkv.parts().get(2);
            oProj = w.linear(prefix + "o_proj.weight", h, qRows);
            qNorm = new RmsNormW(w.vector(prefix + "q_norm.weight", headDim), c.rmsNormEps());
            kNorm = new RmsNormW(w.vector(prefix + "k_norm.weight", headDim), c.rmsNormEps());
            qkNorm = new RmsNormW(overHeads(qNorm.weight(), heads, kNorm.weight(), kvHeads), c.rmsNormEps());
            scaling = (float) Math.pow(headDim, -0.5);
            shape = new DecodeAttention.Heads(heads, kvHeads, headDim, scaling);
            qNormWeight = kernels == null ? null : qNorm.weight().toFloatArray();
            kNormWeight = kernels == null ? null : kNorm.weight().toFloatArray();
        }

        /** q_norm's weight [Dh] over qHeads rows, then k_norm's over kHeads rows: [qHeads + kHeads, Dh]. */
        private static NDArray overHeads(NDArray qWeight, int qHeads, NDArray kWeight, int kHeads) {
            if (qWeight.getShape().dimension() == 0 || kWeight.getShape().dimension() == 0) {
                return qWeight;                                  // placeholders of a layout-only loader
            }
            long dh = qWeight.getShape().get(0);
            return qWeight.broadcast(qHeads, dh).concat(kWeight.broadcast(kHeads, dh), 0);
        }

        /** A decoding step: s.normed [B, H] -> s.projected [B, H], the new keys and values into the cache. */
        void decode(DecodeState s, KvCache cache, int layer) {
            int qkvWidth = (heads + 2 * kvHeads) * headDim;
            ((PanelLinear) qkvProj).forward(s.normed, s.batch, s.scratch, s.qkv);     // [B, (heads + 2 kvHeads) * Dh]
            for (int r = 0; r < s.batch; r++) {
                int row = r * qkvWidth;
                for (int head = 0; head < heads; head++) {
                    // apply_rotary_pos_emb(q_norm(q), ...)                                  [Dh]
                    int at = (r * heads + head) * headDim;
                    VectorOps.rmsNorm(s.qkv, row + head * headDim, qNormWeight, qNorm.eps(), s.q, at);
                    VectorOps.rope(s.q, at, s.cosSin[0], s.cosSin[1], r * headDim, headDim);
                }
                for (int head = 0; head < kvHeads; head++) {
                    int at = (r * kvHeads + head) * headDim;
                    VectorOps.rmsNorm(s.qkv, row + (heads + head) * headDim, kNormWeight, kNorm.eps(), s.k, at);
                    VectorOps.rope(s.k, at, s.cosSin[0], s.cosSin[1], r * headDim, headDim);
                }
                System.arraycopy(s.qkv, row + (heads + kvHeads) * headDim, s.v, r * kvHeads * headDim,
                        kvHeads * headDim);                                                // v_proj(x)  [kvHeads * Dh]
            }
            cache.write(layer, s.k, s.v, s.batch, kvHeads, headDim);
            DecodeAttention.attend(kernels, shape, s.q, cache.view(layer, cache.length() + 1), s.mask,
                    s.scores, s.attention);                                               // [B, heads * Dh]
            ((PanelLinear) oProj).forward(s.attention, s.batch, s.scratch, s.projected);  // [B, H]
        }

        NDArray forward(NDArray x, NDArray[] cosSin, NDArray mask, KvCache cache, int layer) {
            long b = x.getShape().get(0);
            long t = x.getShape().get(1);
            int qk = heads + kvHeads;
            // torch.cat([q_proj(x), k_proj(x), v_proj(x)], -1).view(B, T, heads + 2 * kvHeads, Dh)
            NDArray qkv = qkvProj.forward(x).reshape(b, t, qk + kvHeads, headDim);
            // cat([q_norm(q), k_norm(k)], 2), then apply_rotary_pos_emb to both at once   [B, T, heads + kvHeads, Dh]
            NDList qkAndV = qkv.split(new long[] {qk}, 2);               // views, one op
            NDArray rotated = rope.apply(qkNorm.forward(qkAndV.get(0)), cosSin);
            NDList qAndK = rotated.split(new long[] {heads}, 2);
            NDArray q = qAndK.get(0).transpose(0, 2, 1, 3);                              // [B, heads, T, Dh]
            NDArray k = qAndK.get(1).transpose(0, 2, 1, 3);                              // [B, kvHeads, T, Dh]
            NDArray v = qkAndV.get(1).transpose(0, 2, 1, 3);                             // [B, kvHeads, T, Dh]
            if (cache != null) {
                NDArray[] kv = cache.append(layer, k, v, x.getManager());               // [B, kvHeads, S, Dh]
                k = kv[0];
                v = kv[1];
            }
            // repeat_kv without copying: the query heads that share a kv head (head = kv * groups + g) become rows
            // of one matmul, q.view(B, kvHeads, groups * T, Dh); the mask is laid out to match
            int groups = heads / kvHeads;
            NDArray grouped = q.reshape(b, kvHeads, groups * t, headDim);
            // eager_attention_forward(q, k, v, mask, scaling)                   [B, kvHeads, groups * T, Dh]
            NDArray out = EagerAttention.forward(grouped, k, v, scaling, mask);
            return oProj.forward(EagerAttention.mergeHeads(out.reshape(b, heads, t, headDim)));   // [B, T, H]
        }
    }

    /**
     * Qwen3MLP: down_proj(silu(gate_proj(x)) * up_proj(x)). gate_proj and up_proj are views of one stacked matrix,
     * so the forward pass makes one matmul for both.
     */
    static final class Mlp {
        final LinearModule gateProj;  // [I, H]
        final LinearModule upProj;       // [I, H]
        final LinearModule downProj;  // [H, I]
        final LinearModule gateUpProj;  // cat([gate_proj, up_proj]) [2I, H]
        final long intermediate;

        Mlp(Layout w, String prefix, Qwen3Config c) {
            int i = c.intermediateSize();
            intermediate = i;
            Stack gateUp = w.stack(c.hiddenSize(), new WeightLoader.Part(prefix + "gate_proj.weight", i),
                    new WeightLoader.Part(prefix + "up_proj.weight", i));
            gateUpProj = gateUp.all();
            gateProj = gateUp.parts().get(0);
            upProj = gateUp.parts().get(1);
            downProj = w.linear(prefix + "down_proj.weight", c.hiddenSize(), i);
        }

        /** A decoding step: s.normed [B, H] -> s.projected [B, H]. */
        void decode(DecodeState s) {
            int i = (int) intermediate;
            ((PanelLinear) gateUpProj).forward(s.normed, s.batch, s.scratch, s.gateUp);   // [B, 2I]
            for (int r = 0; r < s.batch; r++) {
                VectorOps.siluTimes(s.gateUp, r * 2 * i, i, s.act, r * i);               // silu(g) * up   [I]
            }
            ((PanelLinear) downProj).forward(s.act, s.batch, s.scratch, s.projected);     // [B, H]
        }

        /** x [B, T, H] -> [B, T, H]. */
        NDArray forward(NDArray x) {
            NDArray both = gateUpProj.forward(x);                                    // [B, T, 2I]
            NDList gateAndUp = both.split(new long[] {intermediate}, both.getShape().dimension() - 1);
            NDArray g = gateAndUp.get(0);                                            // gate_proj(x)
            NDArray up = gateAndUp.get(1);                                           // up_proj(x)
            NDArray gate = g.mul(Activation.sigmoid(g));                             // silu(g)
            return downProj.forward(gate.mul(up));                                   // down_proj(silu(g) * up_proj(x))
        }
    }

    /** Qwen3DecoderLayer (pre-norm). */
    final class DecoderLayer {
        final RmsNormW inputLayernorm;
        final Attention selfAttn;
        final RmsNormW postAttentionLayernorm;
        final Mlp mlp;

        final float[] inputLayernormWeight;          // for decoding steps on the kernels (null without them)
        final float[] postAttentionLayernormWeight;  // likewise

        DecoderLayer(Layout w, String prefix, Qwen3Config c) {
            inputLayernorm = new RmsNormW(w.vector(prefix + "input_layernorm.weight", c.hiddenSize()), c.rmsNormEps());
            selfAttn = new Attention(w, prefix + "self_attn.", c);
            postAttentionLayernorm = new RmsNormW(w.vector(prefix + "post_attention_layernorm.weight", c.hiddenSize()),
                    c.rmsNormEps());
            mlp = new Mlp(w, prefix + "mlp.", c);
            inputLayernormWeight = kernels == null ? null : inputLayernorm.weight().toFloatArray();
            postAttentionLayernormWeight = kernels == null ? null : postAttentionLayernorm.weight().toFloatArray();
        }

        /** A decoding step on s.x [B, H], in place. */
        void decode(DecodeState s, KvCache cache, int layer) {
            VectorOps.rmsNormRows(s.x, s.batch, inputLayernormWeight, inputLayernorm.eps(), s.normed);
            selfAttn.decode(s, cache, layer);
            VectorOps.addInPlace(s.x, s.projected, s.x.length);                // x + self_attn(input_layernorm(x))
            VectorOps.rmsNormRows(s.x, s.batch, postAttentionLayernormWeight, postAttentionLayernorm.eps(), s.normed);
            mlp.decode(s);
            VectorOps.addInPlace(s.x, s.projected, s.x.length);                // h + mlp(post_attention_layernorm(h))
        }

        NDArray forward(NDArray x, NDArray[] cosSin, NDArray mask, KvCache cache, int layer) {
            NDArray h = x.add(selfAttn.forward(inputLayernorm.forward(x), cosSin, mask, cache, layer));
            return h.add(mlp.forward(postAttentionLayernorm.forward(h)));
        }
    }

}
