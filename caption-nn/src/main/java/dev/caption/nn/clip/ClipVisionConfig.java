package dev.caption.nn.clip;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The CLIP vision tower's hyper-parameters, from a CLIPModel {@code config.json} ({@code vision_config}) or a
 * CLIPVisionModel one (top level). Defaults are transformers' CLIPVisionConfig defaults (ViT-B/32).
 */
public record ClipVisionConfig(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                               int numChannels, int imageSize, int patchSize, float layerNormEps, String hiddenAct,
                               int projectionDim) {

    public static ClipVisionConfig read(Path configJson) {
        try {
            JsonNode root = new ObjectMapper().readTree(configJson.toFile());
            JsonNode v = root.has("vision_config") ? root.get("vision_config") : root;
            ClipVisionConfig c = new ClipVisionConfig(v.path("hidden_size").asInt(768),
                    v.path("intermediate_size").asInt(3072), v.path("num_hidden_layers").asInt(12),
                    v.path("num_attention_heads").asInt(12), v.path("num_channels").asInt(3),
                    v.path("image_size").asInt(224), v.path("patch_size").asInt(32),
                    (float) v.path("layer_norm_eps").asDouble(1e-5), v.path("hidden_act").asText("quick_gelu"),
                    root.path("projection_dim").asInt(v.path("projection_dim").asInt(512)));
            if (c.hiddenSize % c.numAttentionHeads != 0) {
                throw new IllegalArgumentException(configJson + ": hidden_size " + c.hiddenSize
                        + " is not a multiple of num_attention_heads " + c.numAttentionHeads);
            }
            if (!c.hiddenAct.equals("quick_gelu") && !c.hiddenAct.equals("gelu")) {
                throw new IllegalArgumentException(configJson + ": hidden_act " + c.hiddenAct + " is not supported");
            }
            return c;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("model config not found: " + configJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model config " + configJson + ": " + e.getMessage(), e);
        }
    }

    /** openai/clip-vit-base-patch32 (ViT-B/32): 12 layers of 768, 224 pixels, 32-pixel patches. */
    public static ClipVisionConfig vitB32() {
        return new ClipVisionConfig(768, 3072, 12, 12, 3, 224, 32, 1e-5f, "quick_gelu", 512);
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Patches per side. */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** Tokens per image: the patches plus CLS. */
    public int numPositions() {
        return gridSize() * gridSize() + 1;
    }

    /**
     * The index 0..L of {@code hidden_states[layer]} (negative counts from the end, as Python indexes), or an error
     * naming {@code owner} and the hidden states it has.
     */
    public int hiddenStateIndex(int layer, String owner) {
        int n = numHiddenLayers + 1;
        int index = layer < 0 ? n + layer : layer;
        if (index < 0 || index >= n) {
            throw new IllegalArgumentException("layer " + layer + " does not exist: " + owner + " has hidden states 0.."
                    + (n - 1) + " (or -1..-" + n + ")");
        }
        return index;
    }
}
