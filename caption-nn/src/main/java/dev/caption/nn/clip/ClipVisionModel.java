package dev.caption.nn.clip;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import dev.caption.nn.modules.EagerAttention;
import dev.caption.nn.modules.LayerNormW;
import dev.caption.nn.modules.LinearW;
import dev.caption.nn.modules.Scope;
import dev.caption.nn.weights.Checkpoint;
import dev.caption.nn.weights.WeightLoader;
import dev.caption.tensor.DType;

/**
 * The vision half of transformers' CLIPModel (modeling_clip.py, v4.51.3), with the image projection: one class per
 * module, fields named as the checkpoint keys. Reads {@code vision_model.*} and {@code visual_projection.weight}
 * from a full CLIPModel checkpoint; the text tower is ignored.
 */
public final class ClipVisionModel implements AutoCloseable {

    private final ClipVisionConfig config;
    private final NDManager manager;
    private final List<ByteBuffer> buffers;
    final Embeddings embeddings;
    final LayerNormW preLayrnorm;              // sic: "pre_layrnorm" in the checkpoint
    final List<EncoderLayer> layers = new ArrayList<>();
    final LayerNormW postLayernorm;
    final LinearW visualProjection;            // visual_projection.weight [projection_dim, hidden], no bias

    /** The outputs HF returns, batch first. */
    public record Output(NDArray lastHiddenState, List<NDArray> hiddenStates, NDArray poolerOutput, NDArray imageEmbeds) {
    }

    private ClipVisionModel(ClipVisionConfig config, Checkpoint checkpoint, NDManager parent, long randomSeed) {
        this(config, parent, m -> checkpoint == null ? WeightLoader.random(m, randomSeed, DType.F32) : new WeightLoader(checkpoint, m));
    }

    private ClipVisionModel(ClipVisionConfig config, NDManager parent, java.util.function.Function<NDManager, WeightLoader> loader) {
        this.config = config;
        this.manager = parent.newSubManager();
        WeightLoader w = loader.apply(manager);
        String p = "vision_model.";
        int d = config.hiddenSize();
        embeddings = new Embeddings(w, p + "embeddings.", config);
        preLayrnorm = new LayerNormW(w, p + "pre_layrnorm.", d, config.layerNormEps());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new EncoderLayer(w, p + "encoder.layers." + i + ".", config));
        }
        postLayernorm = new LayerNormW(w, p + "post_layernorm.", d, config.layerNormEps());
        visualProjection = LinearW.noBias(w, "visual_projection.", config.projectionDim(), d);
        w.finish("CLIP vision (" + config.numHiddenLayers() + " layers, hidden " + d + ")",
                "text_model.", "text_projection.", "logit_scale", p + "embeddings.position_ids");
        this.buffers = w.buffers();
    }

    /** Loads from a model directory (config.json plus weights). */
    public static ClipVisionModel load(Path dir, List<String> weightFiles, NDManager manager) {
        ClipVisionConfig config = ClipVisionConfig.read(dir.resolve("config.json"));
        try (Checkpoint checkpoint = Checkpoint.open(dir, weightFiles)) {
            return new ClipVisionModel(config, checkpoint, manager, 0);
        }
    }

    /** A model of {@code config}'s size with random weights, for benchmarks. */
    public static ClipVisionModel random(ClipVisionConfig config, NDManager manager, long seed) {
        return new ClipVisionModel(config, null, manager, seed);
    }

    /** The checkpoint layout (name to shape) of a vision tower of {@code config}, allocating nothing. */
    public static java.util.Map<String, long[]> checkpointShapes(ClipVisionConfig config, NDManager manager) {
        return WeightLoader.layout(manager, (scratch, loader) -> new ClipVisionModel(config, scratch, loader));
    }

    public ClipVisionConfig config() {
        return config;
    }

    /**
     * Runs the tower. {@code pixelValues} [B, 3, H, W]; hidden states: [0] = pre_layrnorm(embeddings), [j] = output
     * of layer j-1, [L] = last_hidden_state (no post_layernorm). Arrays belong to the caller's scope.
     */
    public Output forward(NDArray pixelValues) {
        NDArray h = preLayrnorm.forward(embeddings.forward(pixelValues));      // [B, T, D]
        List<NDArray> hidden = new ArrayList<>();
        hidden.add(h);
        for (EncoderLayer layer : layers) {
            h = Scope.layer(h, layer::forward);
            hidden.add(h);
        }
        NDArray pooled = postLayernorm.forward(h.get(new NDIndex(":, 0, :")));  // [B, D]
        NDArray embeds = visualProjection.forward(pooled);                     // [B, P]
        return new Output(h, hidden, pooled, embeds);
    }

    /**
     * LLaVA-style features: hidden_states[layer] (Python indexing: -2 is the penultimate), without CLS unless
     * {@code keepCls}: [B, T or T-1, D].
     */
    public NDArray features(NDArray pixelValues, int layer, boolean keepCls) {
        int index = config.hiddenStateIndex(layer, "the tower");
        // hidden_states[index] needs only the layers before it: the penultimate skips the last layer's work
        NDArray h = preLayrnorm.forward(embeddings.forward(pixelValues));      // [B, T, D]
        for (int i = 0; i < index; i++) {
            h = Scope.layer(h, layers.get(i)::forward);
        }
        return keepCls ? h : h.get(new NDIndex(":, 1:, :"));
    }

    @Override
    public void close() {
        manager.close();
        buffers.clear();
    }

    // ------------------------------------------------------------------ modules

    /** CLIPVisionEmbeddings. */
    static final class Embeddings {
        final NDArray classEmbedding;         // [D]
        final NDArray patchEmbeddingWeight;   // [D, C, P, P], no bias
        final NDArray positionEmbedding;      // [T, D]
        final int patchSize;

        Embeddings(WeightLoader w, String prefix, ClipVisionConfig c) {
            classEmbedding = w.take(prefix + "class_embedding", c.hiddenSize());
            patchEmbeddingWeight = w.take(prefix + "patch_embedding.weight", c.hiddenSize(), c.numChannels(),
                    c.patchSize(), c.patchSize());
            positionEmbedding = w.take(prefix + "position_embedding.weight", c.numPositions(), c.hiddenSize());
            patchSize = c.patchSize();
        }

        NDArray forward(NDArray pixels) {
            long b = pixels.getShape().get(0);
            // patch_embeds = self.patch_embedding(pixel_values)               [B, D, g, g]
            NDArray patches = Conv2d.conv2d(pixels, patchEmbeddingWeight, null, new Shape(patchSize, patchSize))
                    .singletonOrThrow();
            long d = patches.getShape().get(1);
            // patch_embeds.flatten(2).transpose(1, 2)                          [B, g*g, D]
            patches = patches.reshape(b, d, -1).transpose(0, 2, 1);
            // class_embeds = self.class_embedding.expand(batch_size, 1, -1)    [B, 1, D]
            NDArray cls = classEmbedding.reshape(1, 1, d).repeat(0, b);
            // embeddings = cat([class_embeds, patch_embeds], dim=1) + position_embedding(position_ids)
            return cls.concat(patches, 1).add(positionEmbedding.expandDims(0));
        }
    }

    /** CLIPAttention (eager). */
    static final class Attention {
        final LinearW qProj;
        final LinearW kProj;
        final LinearW vProj;
        final LinearW outProj;
        final int heads;
        final int headDim;
        final float scale;

        Attention(WeightLoader w, String prefix, ClipVisionConfig c) {
            int d = c.hiddenSize();
            qProj = new LinearW(w, prefix + "q_proj.", d, d);
            kProj = new LinearW(w, prefix + "k_proj.", d, d);
            vProj = new LinearW(w, prefix + "v_proj.", d, d);
            outProj = new LinearW(w, prefix + "out_proj.", d, d);
            heads = c.numAttentionHeads();
            headDim = c.headDim();
            scale = (float) Math.pow(headDim, -0.5);
        }

        /** x [B, T, D] -> [B, T, D]. */
        NDArray forward(NDArray x) {
            // q_proj(x).view(B, T, H, Dh).transpose(1, 2), and so for k and v      [B, H, T, Dh]
            NDArray q = EagerAttention.splitHeads(qProj.forward(x), heads, headDim);
            NDArray k = EagerAttention.splitHeads(kProj.forward(x), heads, headDim);
            NDArray v = EagerAttention.splitHeads(vProj.forward(x), heads, headDim);
            // eager_attention_forward(q, k, v, attention_mask=None, scaling)        [B, H, T, Dh]
            NDArray out = EagerAttention.forward(q, k, v, scale);
            return outProj.forward(EagerAttention.mergeHeads(out));               // [B, T, D]
        }
    }

    /** CLIPMLP. */
    static final class Mlp {
        final LinearW fc1;
        final LinearW fc2;
        final boolean quickGelu;

        Mlp(WeightLoader w, String prefix, ClipVisionConfig c) {
            fc1 = new LinearW(w, prefix + "fc1.", c.intermediateSize(), c.hiddenSize());
            fc2 = new LinearW(w, prefix + "fc2.", c.hiddenSize(), c.intermediateSize());
            quickGelu = c.hiddenAct().equals("quick_gelu");
        }

        NDArray forward(NDArray x) {
            NDArray h = fc1.forward(x);
            // QuickGELU: x * sigmoid(1.702 * x); GELU: the erf form
            h = quickGelu ? h.mul(Activation.sigmoid(h.mul(1.702f))) : Activation.gelu(h);
            return fc2.forward(h);
        }
    }

    /** CLIPEncoderLayer (pre-norm). */
    static final class EncoderLayer {
        final LayerNormW layerNorm1;
        final Attention selfAttn;
        final LayerNormW layerNorm2;
        final Mlp mlp;

        EncoderLayer(WeightLoader w, String prefix, ClipVisionConfig c) {
            layerNorm1 = new LayerNormW(w, prefix + "layer_norm1.", c.hiddenSize(), c.layerNormEps());
            selfAttn = new Attention(w, prefix + "self_attn.", c);
            layerNorm2 = new LayerNormW(w, prefix + "layer_norm2.", c.hiddenSize(), c.layerNormEps());
            mlp = new Mlp(w, prefix + "mlp.", c);
        }

        NDArray forward(NDArray x) {
            NDArray h = x.add(selfAttn.forward(layerNorm1.forward(x)));
            return h.add(mlp.forward(layerNorm2.forward(h)));
        }
    }

}
