package dev.caption.nn.qwen3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import ai.djl.ndarray.NDManager;

/**
 * Every Qwen3 size loads from its config alone: the shapes the modules ask for add up to the published
 * non-embedding parameter counts (Qwen3 model cards: 0.44B, 1.4B, 3.6B, 6.95B).
 */
class Qwen3ConfigTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({
        // name, hidden, intermediate, layers, heads, kv heads, tied, published non-embedding params (B)
        "Qwen3-0.6B, 1024, 3072, 28, 16, 8, true, 0.44",
        "Qwen3-1.7B, 2048, 6144, 28, 16, 8, true, 1.4",
        "Qwen3-4B, 2560, 9728, 36, 32, 8, true, 3.6",
        "Qwen3-8B, 4096, 12288, 36, 32, 8, false, 6.95"})
    void everySizeBuildsFromItsConfigWithThePublishedParameterCount(String name, int hidden, int intermediate,
                                                                    int layers, int heads, int kvHeads, boolean tied,
                                                                    double nonEmbeddingBillions) throws Exception {
        Path config = tmp.resolve(name + ".json");
        Files.writeString(config, "{\"model_type\": \"qwen3\", \"vocab_size\": 151936, \"hidden_size\": " + hidden
                + ", \"intermediate_size\": " + intermediate + ", \"num_hidden_layers\": " + layers
                + ", \"num_attention_heads\": " + heads + ", \"num_key_value_heads\": " + kvHeads
                + ", \"head_dim\": 128, \"rms_norm_eps\": 1e-06, \"rope_theta\": 1000000, \"rope_scaling\": null,"
                + " \"tie_word_embeddings\": " + tied + ", \"max_position_embeddings\": 40960}");
        Qwen3Config c = Qwen3Config.read(config);
        try (NDManager manager = NDManager.newBaseManager()) {
            long total = Qwen3ForCausalLM.parameterCount(c, manager);
            long embeddings = 151936L * hidden * (tied ? 1 : 2);
            double nonEmbedding = (total - embeddings) / 1e9;
            assertEquals(nonEmbeddingBillions, nonEmbedding, nonEmbeddingBillions * 0.02,
                    name + ": " + total + " parameters in all");
        }
    }

    @Test
    void otherArchitecturesAndRopeScalingAreRefused() throws Exception {
        Path llama = Files.writeString(tmp.resolve("llama.json"), "{\"model_type\": \"llama\"}");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Qwen3Config.read(llama)).getMessage()
                .contains("'llama' model, not qwen3"));
        Path yarn = Files.writeString(tmp.resolve("yarn.json"),
                "{\"model_type\": \"qwen3\", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}}");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Qwen3Config.read(yarn)).getMessage()
                .contains("rope_scaling"));
    }
}
