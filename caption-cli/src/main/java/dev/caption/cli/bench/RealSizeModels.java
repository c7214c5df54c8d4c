package dev.caption.cli.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import ai.djl.ndarray.NDManager;
import dev.caption.cli.SyntheticWorld;
import dev.caption.nn.bert.BertConfig;
import dev.caption.nn.bert.BertModel;
import dev.caption.nn.clip.ClipVisionConfig;
import dev.caption.nn.clip.ClipVisionModel;
import dev.caption.nn.qwen3.Qwen3Config;
import dev.caption.nn.qwen3.Qwen3ForCausalLM;
import dev.caption.nn.weights.RandomCheckpoint;

/**
 * Random-weight checkpoints at the real sizes for benchmarks through the services (which load checkpoints from
 * disk): the real configs, random bf16 weights, and the real tokenizers that the bundled tiny models carry (Qwen3's
 * and RoBERTa's vocabularies are the real ones).
 */
final class RealSizeModels {

    /**
     * Checkpoints are written in shards of this size (as the hub shards large ones): a shard is built in the heap,
     * and roberta-large in one 1 GiB shard ran the launcher's 2 GB heap out of memory.
     */
    private static final long SHARD_BYTES = 256L << 20;

    private RealSizeModels() {
    }

    static void ensure(Path dir, SyntheticWorld.Models tokenizers, PrintWriter err) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Path clip = dir.resolve("clip-vit-b32");
            if (!Files.isRegularFile(clip.resolve("config.json"))) {
                err.println("bench pipeline: writing a random ViT-B/32 checkpoint to " + clip);
                RandomCheckpoint.write(clip, ClipVisionModel.checkpointShapes(ClipVisionConfig.vitB32(), m), SHARD_BYTES, 1);
                Files.writeString(clip.resolve("preprocessor_config.json"), """
                        {"crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
                         "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
                         "resample": 3, "size": 224}
                        """);
                Files.writeString(clip.resolve("config.json"), """
                        {"model_type": "clip", "projection_dim": 512,
                         "vision_config": {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
                           "num_attention_heads": 12, "image_size": 224, "patch_size": 32, "hidden_act": "quick_gelu",
                           "layer_norm_eps": 1e-5}}
                        """);
            }
            Path qwen = dir.resolve("qwen3-0.6b");
            if (!Files.isRegularFile(qwen.resolve("config.json"))) {
                err.println("bench pipeline: writing a random Qwen3-0.6B checkpoint to " + qwen);
                RandomCheckpoint.write(qwen, Qwen3ForCausalLM.checkpointShapes(Qwen3Config.qwen3_0_6b(), m), SHARD_BYTES, 2);
                for (String f : new String[] {"tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
                    Files.copy(tokenizers.llm().resolve(f), qwen.resolve(f));
                }
                Files.writeString(qwen.resolve("config.json"), """
                        {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "vocab_size": 151936,
                         "hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 28, "num_attention_heads": 16,
                         "num_key_value_heads": 8, "head_dim": 128, "rms_norm_eps": 1e-06, "rope_theta": 1000000,
                         "tie_word_embeddings": true, "max_position_embeddings": 40960, "rope_scaling": null}
                        """);
            }
            Path roberta = dir.resolve("roberta-large");
            if (!Files.isRegularFile(roberta.resolve("config.json"))) {
                err.println("bench pipeline: writing a random roberta-large checkpoint to " + roberta);
                RandomCheckpoint.write(roberta, BertModel.checkpointShapes(BertConfig.robertaLarge(), m), SHARD_BYTES, 3);
                for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
                    Files.copy(tokenizers.bertscore().resolve(f), roberta.resolve(f));
                }
                Files.writeString(roberta.resolve("config.json"), """
                        {"model_type": "roberta", "vocab_size": 50265, "hidden_size": 1024, "num_hidden_layers": 24,
                         "num_attention_heads": 16, "intermediate_size": 4096, "max_position_embeddings": 514,
                         "type_vocab_size": 1, "pad_token_id": 1, "layer_norm_eps": 1e-05, "hidden_act": "gelu"}
                        """);
            }
        }
    }
}
