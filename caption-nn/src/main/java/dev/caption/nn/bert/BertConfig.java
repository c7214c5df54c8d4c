package dev.caption.nn.bert;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A BERT-family encoder's hyper-parameters from {@code config.json}: BertConfig, RobertaConfig or DistilBertConfig
 * (whose keys are spelled differently: {@code dim}, {@code n_layers}, {@code n_heads}, {@code hidden_dim}).
 */
public record BertConfig(Architecture architecture, int vocabSize, int hiddenSize, int numHiddenLayers,
                         int numAttentionHeads, int intermediateSize, int maxPositionEmbeddings, int typeVocabSize,
                         int padTokenId, float layerNormEps, String hiddenAct) {

    /** The three layouts read; they differ in key names, position ids and token types, not in the math. */
    public enum Architecture {
        BERT("bert."), ROBERTA("roberta."), DISTILBERT("distilbert.");

        /** The prefix of base-model keys in the hub's task checkpoints (BertForPreTraining, RobertaForMaskedLM...). */
        public final String hubPrefix;

        Architecture(String hubPrefix) {
            this.hubPrefix = hubPrefix;
        }
    }

    public static BertConfig read(Path configJson) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(configJson.toFile());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("model config not found: " + configJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model config " + configJson + ": " + e.getMessage(), e);
        }
        String type = c.path("model_type").asText("");
        BertConfig config = switch (type) {
            case "bert", "roberta" -> new BertConfig(type.equals("bert") ? Architecture.BERT : Architecture.ROBERTA,
                    c.path("vocab_size").asInt(), c.path("hidden_size").asInt(768),
                    c.path("num_hidden_layers").asInt(12), c.path("num_attention_heads").asInt(12),
                    c.path("intermediate_size").asInt(3072), c.path("max_position_embeddings").asInt(512),
                    c.path("type_vocab_size").asInt(2), c.path("pad_token_id").asInt(type.equals("bert") ? 0 : 1),
                    (float) c.path("layer_norm_eps").asDouble(1e-12), c.path("hidden_act").asText("gelu"));
            case "distilbert" -> new BertConfig(Architecture.DISTILBERT, c.path("vocab_size").asInt(),
                    c.path("dim").asInt(768), c.path("n_layers").asInt(6), c.path("n_heads").asInt(12),
                    c.path("hidden_dim").asInt(3072), c.path("max_position_embeddings").asInt(512), 0,
                    c.path("pad_token_id").asInt(0), 1e-12f, c.path("activation").asText("gelu"));
            default -> throw new IllegalArgumentException(configJson + ": model_type \"" + type
                    + "\" is not a BERT, RoBERTa or DistilBERT encoder");
        };
        if (config.vocabSize <= 0) {
            throw new IllegalArgumentException(configJson + ": vocab_size is missing");
        }
        if (config.hiddenSize % config.numAttentionHeads != 0) {
            throw new IllegalArgumentException(configJson + ": hidden size " + config.hiddenSize
                    + " is not a multiple of the head count " + config.numAttentionHeads);
        }
        if (!config.hiddenAct.equals("gelu")) {
            throw new IllegalArgumentException(configJson + ": activation " + config.hiddenAct + " is not supported (gelu is)");
        }
        return config;
    }

    /** roberta-large's shape, for benchmarks with random weights. */
    public static BertConfig robertaLarge() {
        return new BertConfig(Architecture.ROBERTA, 50265, 1024, 24, 16, 4096, 514, 1, 1, 1e-5f, "gelu");
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }
}
