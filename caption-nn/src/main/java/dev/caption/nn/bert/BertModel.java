package dev.caption.nn.bert;

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
import dev.caption.nn.bert.BertConfig.Architecture;
import dev.caption.nn.modules.EagerAttention;
import dev.caption.nn.modules.Embedding;
import dev.caption.nn.modules.LayerNormW;
import dev.caption.nn.modules.LinearW;
import dev.caption.nn.modules.Scope;
import dev.caption.nn.weights.Checkpoint;
import dev.caption.nn.weights.WeightLoader;
import dev.caption.tensor.DType;

/**
 * The encoder stack of transformers' BertModel, RobertaModel and DistilBertModel (v4.51.3), eager attention, cut
 * after {@code numLayers} layers the way bert_score cuts it ({@code model.encoder.layer[:num_layers]}): the output is
 * {@code hidden_states[numLayers]}. All three are post-norm transformers with the same math; they differ in key
 * names, position ids (RoBERTa counts from {@code pad_token_id + 1}) and token types (DistilBERT has none).
 *
 * <p>Reads both key layouts: base-model keys ({@code embeddings.*}) and the hub's task checkpoints
 * ({@code roberta.*} plus {@code lm_head.*}, {@code bert.*} plus {@code cls.*}, {@code distilbert.*} plus
 * {@code vocab_*}). Layers past {@code numLayers} are not loaded.
 */
public final class BertModel implements AutoCloseable {

    private final BertConfig config;
    private final int numLayers;
    private final NDManager manager;
    private final List<ByteBuffer> buffers;
    final Embeddings embeddings;
    final List<Layer> layer = new ArrayList<>();

    private BertModel(BertConfig config, int numLayers, NDManager parent, java.util.function.Function<NDManager, WeightLoader> loader,
                      String prefix) {
        if (numLayers < 0 || numLayers > config.numHiddenLayers()) {
            throw new IllegalArgumentException("layer " + numLayers + " does not exist: the model has hidden states 0.."
                    + config.numHiddenLayers());
        }
        this.config = config;
        this.numLayers = numLayers;
        this.manager = parent.newSubManager();
        WeightLoader w = loader.apply(manager);
        boolean distil = config.architecture() == Architecture.DISTILBERT;
        embeddings = new Embeddings(w, prefix + "embeddings.", config);
        String layers = prefix + (distil ? "transformer.layer." : "encoder.layer.");
        List<String> ignored = new ArrayList<>(List.of(prefix + "pooler.", prefix + "embeddings.position_ids",
                "lm_head.", "cls.", "vocab_transform.", "vocab_layer_norm.", "vocab_projector."));
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            if (i < numLayers) {
                layer.add(distil ? Layer.distilBert(w, layers + i + ".", config) : Layer.bert(w, layers + i + ".", config));
            } else {
                ignored.add(layers + i + ".");
            }
        }
        w.finish(config.architecture() + " encoder (" + numLayers + " of " + config.numHiddenLayers() + " layers, hidden "
                + config.hiddenSize() + ")", ignored.toArray(String[]::new));
        this.buffers = w.buffers();
    }

    /**
     * Loads the first {@code numLayers} layers from a model directory's weight files; the base-model prefix
     * ({@code roberta.}, {@code bert.}, {@code distilbert.}) is detected from the keys.
     */
    public static BertModel load(BertConfig config, Path dir, List<String> weightFiles, int numLayers, NDManager manager) {
        try (Checkpoint checkpoint = Checkpoint.open(dir, weightFiles)) {
            String hub = config.architecture().hubPrefix;
            boolean prefixed = checkpoint.names().stream().anyMatch(n -> n.startsWith(hub + "embeddings."));
            return new BertModel(config, numLayers, manager, m -> new WeightLoader(checkpoint, m), prefixed ? hub : "");
        }
    }

    /** A model of {@code config}'s size with random weights, for benchmarks. */
    public static BertModel random(BertConfig config, int numLayers, NDManager manager, long seed) {
        return new BertModel(config, numLayers, manager, m -> WeightLoader.random(m, seed, DType.F32), "");
    }

    /** The checkpoint layout (name to shape) of all layers of a model of {@code config}, allocating nothing. */
    public static java.util.Map<String, long[]> checkpointShapes(BertConfig config, NDManager manager) {
        return WeightLoader.layout(manager,
                (scratch, loader) -> new BertModel(config, config.numHiddenLayers(), scratch, loader, ""));
    }

    public BertConfig config() {
        return config;
    }

    public int numLayers() {
        return numLayers;
    }

    /**
     * {@code hidden_states[numLayers]} for a right-padded batch: {@code inputIds} [B, T] int64 and
     * {@code attentionMask} [B, T] int64 (1 = token, 0 = padding) → [B, T, D]. Arrays belong to the inputs' manager.
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask) {
        NDArray h = embeddings.forward(inputIds, attentionMask);                 // [B, T, D]
        // extended mask: (1 - mask) * finfo(float32).min, broadcast over heads and queries   [B, 1, 1, T]
        NDArray additive = attentionMask.toType(DataType.FLOAT32, false).neg().add(1f)
                .mul(-Float.MAX_VALUE).expandDims(1).expandDims(1);
        for (Layer l : layer) {
            h = Scope.layer(h, x -> l.forward(x, additive));
        }
        return h;
    }

    @Override
    public void close() {
        manager.close();
        buffers.clear();
    }

    // ------------------------------------------------------------------ modules

    /** BertEmbeddings / RobertaEmbeddings / DistilBERT's Embeddings. */
    static final class Embeddings {
        final NDArray wordEmbeddings;          // word_embeddings.weight [V, D]
        final NDArray positionEmbeddings;      // position_embeddings.weight [P, D]
        final NDArray tokenTypeEmbeddings;     // token_type_embeddings.weight [types, D]; null for DistilBERT
        final LayerNormW layerNorm;            // LayerNorm
        final Architecture architecture;
        final int padTokenId;

        Embeddings(WeightLoader w, String prefix, BertConfig c) {
            int d = c.hiddenSize();
            wordEmbeddings = w.take(prefix + "word_embeddings.weight", c.vocabSize(), d);
            positionEmbeddings = w.take(prefix + "position_embeddings.weight", c.maxPositionEmbeddings(), d);
            tokenTypeEmbeddings = c.architecture() == Architecture.DISTILBERT ? null
                    : w.take(prefix + "token_type_embeddings.weight", c.typeVocabSize(), d);
            layerNorm = new LayerNormW(w, prefix + "LayerNorm.", d, c.layerNormEps());
            architecture = c.architecture();
            padTokenId = c.padTokenId();
        }

        NDArray forward(NDArray ids, NDArray mask) {
            NDManager scope = ids.getManager();
            Shape shape = ids.getShape();
            NDArray positions;
            if (architecture == Architecture.ROBERTA) {
                // create_position_ids_from_input_ids: cumsum(mask) * mask + padding_idx       [B, T]
                NDArray m = ids.neq(padTokenId).toType(DataType.INT64, false);
                positions = m.cumSum(1).mul(m).add(padTokenId);
            } else {
                // arange(T), the same for every row                                            [B, T]
                positions = scope.arange(0, (int) shape.get(1), 1, DataType.INT64).expandDims(0)
                        .repeat(0, shape.get(0));
            }
            // inputs_embeds + position_embeddings(positions) [+ token_type_embeddings(0)]      [B, T, D]
            NDArray h = Embedding.lookup(wordEmbeddings, ids, scope)
                    .add(Embedding.lookup(positionEmbeddings, positions, scope));
            if (tokenTypeEmbeddings != null) {
                h = h.add(Embedding.row(tokenTypeEmbeddings, 0, scope));                    // [D], broadcast
            }
            return layerNorm.forward(h);
        }
    }

    /** BertLayer (BertSelfAttention, BertSelfOutput, BertIntermediate, BertOutput) or DistilBERT's TransformerBlock. */
    static final class Layer {
        final LinearW query;                   // attention.self.query   | attention.q_lin
        final LinearW key;                     // attention.self.key     | attention.k_lin
        final LinearW value;                   // attention.self.value   | attention.v_lin
        final LinearW attentionOutputDense;    // attention.output.dense | attention.out_lin
        final LayerNormW attentionOutputNorm;  // attention.output.LayerNorm | sa_layer_norm
        final LinearW intermediateDense;       // intermediate.dense     | ffn.lin1
        final LinearW outputDense;             // output.dense           | ffn.lin2
        final LayerNormW outputNorm;           // output.LayerNorm       | output_layer_norm
        final int heads;
        final int headDim;

        private Layer(WeightLoader w, BertConfig c, String q, String k, String v, String o, String oNorm, String up,
                      String down, String outNorm) {
            int d = c.hiddenSize();
            query = new LinearW(w, q, d, d);
            key = new LinearW(w, k, d, d);
            value = new LinearW(w, v, d, d);
            attentionOutputDense = new LinearW(w, o, d, d);
            attentionOutputNorm = new LayerNormW(w, oNorm, d, c.layerNormEps());
            intermediateDense = new LinearW(w, up, c.intermediateSize(), d);
            outputDense = new LinearW(w, down, d, c.intermediateSize());
            outputNorm = new LayerNormW(w, outNorm, d, c.layerNormEps());
            heads = c.numAttentionHeads();
            headDim = c.headDim();
        }

        static Layer bert(WeightLoader w, String p, BertConfig c) {
            return new Layer(w, c, p + "attention.self.query.", p + "attention.self.key.", p + "attention.self.value.",
                    p + "attention.output.dense.", p + "attention.output.LayerNorm.", p + "intermediate.dense.",
                    p + "output.dense.", p + "output.LayerNorm.");
        }

        static Layer distilBert(WeightLoader w, String p, BertConfig c) {
            return new Layer(w, c, p + "attention.q_lin.", p + "attention.k_lin.", p + "attention.v_lin.",
                    p + "attention.out_lin.", p + "sa_layer_norm.", p + "ffn.lin1.", p + "ffn.lin2.",
                    p + "output_layer_norm.");
        }

        /** x [B, T, D], additiveMask [B, 1, 1, T] -> [B, T, D]. */
        NDArray forward(NDArray x, NDArray additiveMask) {
            // query(x).view(B, T, H, Dh).transpose(1, 2), and so for key and value       [B, H, T, Dh]
            NDArray q = EagerAttention.splitHeads(query.forward(x), heads, headDim);
            NDArray k = EagerAttention.splitHeads(key.forward(x), heads, headDim);
            NDArray v = EagerAttention.splitHeads(value.forward(x), heads, headDim);
            // softmax(q @ k^T / sqrt(Dh) + mask) @ v, merged back                        [B, T, D]
            NDArray context = EagerAttention.mergeHeads(
                    EagerAttention.forward(q, k, v, (float) (1 / Math.sqrt(headDim)), additiveMask));
            // LayerNorm(dense(context) + x)                                              [B, T, D]
            NDArray attended = attentionOutputNorm.forward(attentionOutputDense.forward(context).add(x));
            // LayerNorm(dense(gelu(dense(h))) + h), erf GELU
            NDArray up = Activation.gelu(intermediateDense.forward(attended));
            return outputNorm.forward(outputDense.forward(up).add(attended));
        }
    }
}
