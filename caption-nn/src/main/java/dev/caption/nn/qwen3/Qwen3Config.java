package dev.caption.nn.qwen3;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Qwen3's {@code config.json}, read at this one boundary. Any Qwen3 size (0.6B to 8B) loads from these fields. */
public record Qwen3Config(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
                          int numAttentionHeads, int numKeyValueHeads, int headDim, float rmsNormEps,
                          double ropeTheta, boolean tieWordEmbeddings, int maxPositionEmbeddings) {

    /** Qwen/Qwen3-0.6B's config.json. */
    public static Qwen3Config qwen3_0_6b() {
        return new Qwen3Config(151936, 1024, 3072, 28, 16, 8, 128, 1e-6f, 1_000_000.0, true, 40960);
    }

    public static Qwen3Config read(Path configJson) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(configJson.toFile());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("model config not found: " + configJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model config " + configJson + ": " + e.getMessage(), e);
        }
        String type = n.path("model_type").asText("");
        if (!type.equals("qwen3")) {
            throw new IllegalArgumentException(configJson + " describes a '" + type + "' model, not qwen3");
        }
        if (!n.path("rope_scaling").isMissingNode() && !n.path("rope_scaling").isNull()) {
            throw new IllegalArgumentException(configJson + ": rope_scaling " + n.get("rope_scaling") + " is not supported");
        }
        int hidden = n.path("hidden_size").asInt();
        int heads = n.path("num_attention_heads").asInt();
        Qwen3Config c = new Qwen3Config(n.path("vocab_size").asInt(), hidden, n.path("intermediate_size").asInt(),
                n.path("num_hidden_layers").asInt(), heads, n.path("num_key_value_heads").asInt(heads),
                n.path("head_dim").asInt(hidden / heads), (float) n.path("rms_norm_eps").asDouble(1e-6),
                n.path("rope_theta").asDouble(1_000_000.0), n.path("tie_word_embeddings").asBoolean(false),
                n.path("max_position_embeddings").asInt(40960));
        if (c.numAttentionHeads % c.numKeyValueHeads != 0) {
            throw new IllegalArgumentException(configJson + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + c.numKeyValueHeads);
        }
        return c;
    }
}
