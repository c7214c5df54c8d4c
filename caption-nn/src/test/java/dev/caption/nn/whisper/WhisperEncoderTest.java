package dev.caption.nn.whisper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.Parity;
import dev.caption.nn.audio.AudioClip;
import dev.caption.nn.audio.AudioDecoder;
import dev.caption.nn.audio.WhisperFeatureConfig;
import dev.caption.nn.audio.WhisperFeatureExtractor;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

/** Parity with transformers 4.51.3's Whisper encoder on the whisper-tiny fixture (float32, eager attention). */
class WhisperEncoderTest {

    private static final double RTOL = 1e-4;
    private static final double ATOL = 1e-5;

    private static NDManager manager;
    private static WhisperEncoder encoder;
    private static SafetensorsBlob expected;
    private static Path dir;

    @BeforeAll
    static void load() throws Exception {
        manager = NDManager.newBaseManager();
        dir = Path.of(WhisperEncoderTest.class.getResource("/fixtures/whisper-tiny/config.json").toURI()).getParent();
        encoder = WhisperEncoder.load(dir, List.of("model.safetensors"), manager);
        try (var in = WhisperEncoderTest.class.getResourceAsStream("/fixtures/whisper-tiny.expected.safetensors")) {
            expected = Safetensors.decode(in.readAllBytes());
        }
    }

    @AfterAll
    static void close() {
        encoder.close();
        manager.close();
    }

    private static NDArray batchOfOne(NDManager m, Tensor t) {
        long[] s = t.shape();
        return m.create(t.toFloats(), new Shape(1, s[0], s[1]));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sine440_1s", "chirp_3s", "noise_0p5s", "silence_2s", "mix_30s", "long_35s"})
    void everyHiddenStateMatchesTransformers(String stem) {
        try (NDManager scope = manager.newSubManager()) {
            WhisperEncoder.Output out = encoder.forward(batchOfOne(scope, expected.tensor(stem + ".input_features")));
            assertEquals(3, out.hiddenStates().size(), "embeddings, layer 0, and the final layer norm");
            for (int i = 0; i < out.hiddenStates().size(); i++) {
                Parity.assertClose(expected, stem + ".hidden_states." + i, out.hiddenStates().get(i).squeeze(0), RTOL, ATOL);
            }
            Parity.assertClose(expected, stem + ".last_hidden_state", out.lastHiddenState().squeeze(0), RTOL, ATOL);
        }
    }

    /** Decoding, our own features and the encoder, against transformers' encoder output, for every clip. */
    @ParameterizedTest
    @ValueSource(strings = {"sine440_1s", "chirp_3s", "noise_0p5s", "silence_2s", "mix_30s", "long_35s"})
    void fromTheWavFileToTheEncoderOutputEndToEnd(String stem) throws Exception {
        WhisperFeatureExtractor extractor = new WhisperFeatureExtractor(
                WhisperFeatureConfig.read(dir.resolve("preprocessor_config.json")));
        byte[] wav;
        try (var in = WhisperEncoderTest.class.getResourceAsStream("/fixtures/audio/" + stem + ".wav")) {
            wav = in.readAllBytes();
        }
        AudioClip clip = new AudioDecoder(60).decode(wav);
        try (NDManager scope = manager.newSubManager()) {
            NDArray features = scope.create(extractor.extract(clip.mono()), new Shape(1, 80, 3000));
            Parity.assertClose(expected, stem + ".last_hidden_state", encoder.forward(features).lastHiddenState().squeeze(0),
                    RTOL, ATOL);
        }
    }

    @Test
    void inputOfAnotherLengthIsRefusedWithTheShapeItNeeds() {
        try (NDManager scope = manager.newSubManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> encoder.forward(scope.zeros(new Shape(1, 80, 1000))));
            assertTrue(e.getMessage().contains("[B, 80, 3000]"), e.getMessage());
        }
    }
}
