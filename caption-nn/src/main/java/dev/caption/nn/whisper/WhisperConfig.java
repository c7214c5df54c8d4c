package dev.caption.nn.whisper;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The encoder's hyper-parameters from a Whisper {@code config.json}; defaults are transformers' WhisperConfig ones.
 * Every size (tiny to large) is read from here: no shape is fixed in the code.
 */
public record WhisperConfig(int dModel, int encoderLayers, int encoderAttentionHeads, int encoderFfnDim, int numMelBins,
                            int maxSourcePositions, String activationFunction) {

    public static WhisperConfig read(Path configJson) {
        try {
            JsonNode c = new ObjectMapper().readTree(configJson.toFile());
            String type = c.path("model_type").asText("whisper");
            if (!type.equals("whisper")) {
                throw new IllegalArgumentException(configJson + ": model_type " + type + ", not whisper");
            }
            WhisperConfig w = new WhisperConfig(c.path("d_model").asInt(384), c.path("encoder_layers").asInt(4),
                    c.path("encoder_attention_heads").asInt(6), c.path("encoder_ffn_dim").asInt(1536),
                    c.path("num_mel_bins").asInt(80), c.path("max_source_positions").asInt(1500),
                    c.path("activation_function").asText("gelu"));
            if (w.dModel % w.encoderAttentionHeads != 0) {
                throw new IllegalArgumentException(configJson + ": d_model " + w.dModel
                        + " is not a multiple of encoder_attention_heads " + w.encoderAttentionHeads);
            }
            if (!w.activationFunction.equals("gelu")) {
                throw new IllegalArgumentException(configJson + ": activation_function " + w.activationFunction
                        + " is not supported (gelu is)");
            }
            return w;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("model config not found: " + configJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model config " + configJson + ": " + e.getMessage(), e);
        }
    }

    public int headDim() {
        return dModel / encoderAttentionHeads;
    }

    /** Mel frames the encoder takes: max_source_positions · conv1 stride (1) · conv2 stride (2). */
    public int inputFrames() {
        return maxSourcePositions * 2;
    }
}
