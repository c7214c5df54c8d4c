package dev.caption.nn.whisper;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv1d;
import dev.caption.nn.modules.EagerAttention;
import dev.caption.nn.modules.LayerNormW;
import dev.caption.nn.modules.LinearW;
import dev.caption.nn.modules.Scope;
import dev.caption.nn.weights.Checkpoint;
import dev.caption.nn.weights.WeightLoader;

/**
 * The encoder of transformers' WhisperForConditionalGeneration (modeling_whisper.py, v4.51.3): one class per
 * module, fields named as the checkpoint keys. Reads {@code model.encoder.*} from a full checkpoint; the decoder
 * ({@code model.decoder.*}) and the tied {@code proj_out} are ignored by name.
 */
public final class WhisperEncoder implements AutoCloseable {

    static final String PREFIX = "model.encoder.";

    private final WhisperConfig config;
    private final NDManager manager;
    private final List<ByteBuffer> buffers;
    final NDArray conv1Weight;        // conv1.weight [D, mels, 3]
    final NDArray conv1Bias;          // conv1.bias [D]
    final NDArray conv2Weight;        // conv2.weight [D, D, 3]
    final NDArray conv2Bias;          // conv2.bias [D]
    final NDArray embedPositions;     // embed_positions.weight [positions, D]
    final List<EncoderLayer> layers = new ArrayList<>();
    final LayerNormW layerNorm;       // layer_norm

    /** What HF returns: last_hidden_state [B, positions, D] and hidden_states (embeddings, each layer, final norm). */
    public record Output(NDArray lastHiddenState, List<NDArray> hiddenStates) {
    }

    private WhisperEncoder(WhisperConfig config, Checkpoint checkpoint, NDManager parent) {
        this.config = config;
        this.manager = parent.newSubManager();
        WeightLoader w = new WeightLoader(checkpoint, manager);
        int d = config.dModel();
        conv1Weight = w.take(PREFIX + "conv1.weight", d, config.numMelBins(), 3);
        conv1Bias = w.take(PREFIX + "conv1.bias", d);
        conv2Weight = w.take(PREFIX + "conv2.weight", d, d, 3);
        conv2Bias = w.take(PREFIX + "conv2.bias", d);
        embedPositions = w.take(PREFIX + "embed_positions.weight", config.maxSourcePositions(), d);
        for (int i = 0; i < config.encoderLayers(); i++) {
            layers.add(new EncoderLayer(w, PREFIX + "layers." + i + ".", config));
        }
        layerNorm = new LayerNormW(w, PREFIX + "layer_norm.", d, 1e-5f);
        w.finish("Whisper encoder (" + config.encoderLayers() + " layers, d_model " + d + ")", "model.decoder.", "proj_out.");
        this.buffers = w.buffers();
    }

    /** Loads from a model directory (config.json plus weights). */
    public static WhisperEncoder load(Path dir, List<String> weightFiles, NDManager manager) {
        WhisperConfig config = WhisperConfig.read(dir.resolve("config.json"));
        try (Checkpoint checkpoint = Checkpoint.open(dir, weightFiles)) {
            return new WhisperEncoder(config, checkpoint, manager);
        }
    }

    public WhisperConfig config() {
        return config;
    }

    /**
     * {@code inputFeatures} [B, mels, 2 · positions] (the extractor's 30 s of log-mel) to the encoder's states.
     * Arrays belong to the caller's scope.
     */
    public Output forward(NDArray inputFeatures) {
        Shape s = inputFeatures.getShape();
        if (s.dimension() != 3 || s.get(1) != config.numMelBins() || s.get(2) != config.inputFrames()) {
            throw new IllegalArgumentException("Whisper expects input features [B, " + config.numMelBins() + ", "
                    + config.inputFrames() + "], got " + s);
        }
        // inputs_embeds = gelu(conv1(input_features)); gelu(conv2(inputs_embeds))       [B, D, positions]
        NDArray h = Activation.gelu(Conv1d.conv1d(inputFeatures, conv1Weight, conv1Bias, new Shape(1), new Shape(1))
                .singletonOrThrow());
        h = Activation.gelu(Conv1d.conv1d(h, conv2Weight, conv2Bias, new Shape(2), new Shape(1)).singletonOrThrow());
        // inputs_embeds.permute(0, 2, 1) + embed_positions.weight                      [B, positions, D]
        h = h.transpose(0, 2, 1).add(embedPositions.expandDims(0));
        List<NDArray> hidden = new ArrayList<>();
        for (EncoderLayer layer : layers) {
            hidden.add(h);                                           // encoder_states += (hidden_states,)
            h = Scope.layer(h, layer::forward);
        }
        h = layerNorm.forward(h);                                    // hidden_states = self.layer_norm(hidden_states)
        hidden.add(h);
        return new Output(h, hidden);
    }

    @Override
    public void close() {
        manager.close();
        buffers.clear();
    }

    // ------------------------------------------------------------------ modules

    /** WhisperAttention (eager, no mask): k_proj has no bias. */
    static final class Attention {
        final LinearW qProj;
        final LinearW kProj;
        final LinearW vProj;
        final LinearW outProj;
        final int heads;
        final int headDim;
        final float scaling;

        Attention(WeightLoader w, String prefix, WhisperConfig c) {
            int d = c.dModel();
            qProj = new LinearW(w, prefix + "q_proj.", d, d);
            kProj = LinearW.noBias(w, prefix + "k_proj.", d, d);
            vProj = new LinearW(w, prefix + "v_proj.", d, d);
            outProj = new LinearW(w, prefix + "out_proj.", d, d);
            heads = c.encoderAttentionHeads();
            headDim = c.headDim();
            scaling = (float) Math.pow(headDim, -0.5);
        }

        /** x [B, T, D] -> [B, T, D]. */
        NDArray forward(NDArray x) {
            // q_proj(x).view(B, T, H, Dh).transpose(1, 2), and so for k and v          [B, H, T, Dh]
            NDArray q = EagerAttention.splitHeads(qProj.forward(x), heads, headDim);
            NDArray k = EagerAttention.splitHeads(kProj.forward(x), heads, headDim);
            NDArray v = EagerAttention.splitHeads(vProj.forward(x), heads, headDim);
            // eager_attention_forward(q, k, v, attention_mask=None, scaling)            [B, H, T, Dh]
            return outProj.forward(EagerAttention.mergeHeads(EagerAttention.forward(q, k, v, scaling)));
        }
    }

    /** WhisperEncoderLayer (pre-norm). */
    static final class EncoderLayer {
        final LayerNormW selfAttnLayerNorm;
        final Attention selfAttn;
        final LayerNormW finalLayerNorm;
        final LinearW fc1;
        final LinearW fc2;

        EncoderLayer(WeightLoader w, String prefix, WhisperConfig c) {
            int d = c.dModel();
            selfAttnLayerNorm = new LayerNormW(w, prefix + "self_attn_layer_norm.", d, 1e-5f);
            selfAttn = new Attention(w, prefix + "self_attn.", c);
            finalLayerNorm = new LayerNormW(w, prefix + "final_layer_norm.", d, 1e-5f);
            fc1 = new LinearW(w, prefix + "fc1.", c.encoderFfnDim(), d);
            fc2 = new LinearW(w, prefix + "fc2.", d, c.encoderFfnDim());
        }

        NDArray forward(NDArray x) {
            // hidden_states = residual + self_attn(self_attn_layer_norm(hidden_states))
            NDArray h = x.add(selfAttn.forward(selfAttnLayerNorm.forward(x)));
            // hidden_states = residual + fc2(gelu(fc1(final_layer_norm(hidden_states))))
            return h.add(fc2.forward(Activation.gelu(fc1.forward(finalLayerNorm.forward(h)))));
        }
    }
}
