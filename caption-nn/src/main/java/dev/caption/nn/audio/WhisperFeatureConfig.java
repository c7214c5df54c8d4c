package dev.caption.nn.audio;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code preprocessor_config.json} of a {@code WhisperFeatureExtractor}; defaults are transformers' (80 mel bins,
 * 16 kHz, 25 ms windows every 10 ms, 30 s chunks).
 */
public record WhisperFeatureConfig(int featureSize, int samplingRate, int hopLength, int chunkLength, int nFft,
                                   double dither) {

    public static WhisperFeatureConfig read(Path json) {
        try {
            JsonNode c = new ObjectMapper().readTree(json.toFile());
            String type = c.path("feature_extractor_type").asText("WhisperFeatureExtractor");
            if (!type.equals("WhisperFeatureExtractor")) {
                throw new IllegalArgumentException(json + ": feature_extractor_type " + type + ", not WhisperFeatureExtractor");
            }
            return new WhisperFeatureConfig(c.path("feature_size").asInt(80), c.path("sampling_rate").asInt(16000),
                    c.path("hop_length").asInt(160), c.path("chunk_length").asInt(30), c.path("n_fft").asInt(400),
                    c.path("dither").asDouble(0.0));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("feature extractor config not found: " + json);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read feature extractor config " + json + ": " + e.getMessage(), e);
        }
    }

    /** Samples in one chunk: chunk_length · sampling_rate (480,000). */
    public int nSamples() {
        return chunkLength * samplingRate;
    }

    /** Frames in one chunk: n_samples / hop_length (3,000). */
    public int nbMaxFrames() {
        return nSamples() / hopLength;
    }
}
