package dev.caption.nn.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;

/**
 * WAV decoding, resampling and log-mel features against the whisper-tiny fixtures: soundfile's samples,
 * torchaudio 0.13.1's resample to 16 kHz, and transformers 4.51.3's WhisperFeatureExtractor.
 */
class AudioParityTest {

    private static SafetensorsBlob whisper;
    private static SafetensorsBlob resampled;
    private static WhisperFeatureExtractor extractor;

    static byte[] resource(String name) throws IOException {
        try (InputStream in = AudioParityTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing test resource " + name);
            }
            return in.readAllBytes();
        }
    }

    static AudioClip clip(String stem) throws IOException {
        return new AudioDecoder(60).decode(resource("/fixtures/audio/" + stem + ".wav"));
    }

    @BeforeAll
    static void load() throws Exception {
        whisper = Safetensors.decode(resource("/fixtures/whisper-tiny.expected.safetensors"));
        resampled = Safetensors.decode(resource("/fixtures/resample.expected.safetensors"));
        Path config = Path.of(AudioParityTest.class.getResource("/fixtures/whisper-tiny/preprocessor_config.json").toURI());
        extractor = new WhisperFeatureExtractor(WhisperFeatureConfig.read(config));
    }

    private static double maxAbsDiff(String what, float[] want, float[] got, double atol) {
        assertEquals(want.length, got.length, what + " length");
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            max = Math.max(max, d);
            if (!(d <= atol)) {
                throw new AssertionError(what + "[" + i + "]: " + got[i] + " vs " + want[i] + " (tolerance " + atol + ")");
            }
        }
        System.out.printf("parity %-40s max|diff| %.2e%n", what, max);
        return max;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sine440_1s", "chirp_3s", "noise_0p5s", "silence_2s", "mix_30s", "long_35s"})
    void wavSamplesAreTheInt16ValuesOver32768(String stem) throws IOException {
        AudioClip clip = clip(stem);
        assertEquals(16000, clip.sampleRate());
        assertEquals(1, clip.channels().length);
        assertArrayEquals(whisper.tensor(stem + ".samples").toFloats(), clip.mono(), 0f, stem);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sine440_1s", "stereo_44100_2s"})
    void flacDecodesToExactlyTheSamplesOfTheWavItWasMadeFrom(String stem) throws IOException {
        AudioClip wav = clip(stem);
        AudioClip flac = new AudioDecoder(60).decode(resource("/fixtures/audio-flac/" + stem + ".flac"));
        assertEquals("audio/x-flac", AudioSniffer.detect(resource("/fixtures/audio-flac/" + stem + ".flac")));
        assertEquals(wav.sampleRate(), flac.sampleRate());
        assertEquals(wav.channels().length, flac.channels().length);
        for (int c = 0; c < wav.channels().length; c++) {
            assertArrayEquals(wav.channels()[c], flac.channels()[c], 0f, stem + " channel " + c);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stereo_44100_2s", "mono_48000_1s", "mono_8000_1p5s"})
    void resamplingTo16kHzMatchesTorchaudioWithin1e4(String stem) throws IOException {
        AudioClip clip = clip(stem);
        float[] ours = SincResampler.resample(clip.mono(), clip.sampleRate(), 16000);
        maxAbsDiff(stem + " resampled", resampled.tensor(stem + ".resampled").toFloats(), ours, 1e-4);
    }

    /**
     * The fixture's features are transformers' torch path (torch.stft in float32, torch 1.13): recomputing that
     * path reproduces them to 1.2e-7, while the same steps in float64 (numpy's path, and this extractor) differ
     * from them by up to 3.2e-5, in bins far below their frame's peak where float32 FFT rounding shows. So the bound
     * is that rounding, 4e-5; the silent and the noise clip, which have no such bins, meet 1e-5 and are held to it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sine440_1s", "chirp_3s", "noise_0p5s", "silence_2s", "mix_30s", "long_35s"})
    void logMelFeaturesMatchWhisperFeatureExtractorWithinTheReferencesFloat32Rounding(String stem) throws IOException {
        float[] ours = extractor.extract(clip(stem).mono());
        assertEquals(80 * 3000, ours.length);
        double bound = stem.equals("silence_2s") || stem.equals("noise_0p5s") ? 1e-5 : 4e-5;
        maxAbsDiff(stem + " input_features", whisper.tensor(stem + ".input_features").toFloats(), ours, bound);
    }

    @Test
    void theEncoderFramesKeptAreThoseThatCoverTheRealAudio() {
        assertEquals(50, extractor.encoderFrames(16000), "1 s: 50 frames of 20 ms");
        assertEquals(25, extractor.encoderFrames(8000));
        assertEquals(26, extractor.encoderFrames(8001), "a partial frame counts");
        assertEquals(1500, extractor.encoderFrames(480000));
        assertEquals(1500, extractor.encoderFrames(560000), "35 s is truncated to the 30 s the encoder sees");
    }

    @Test
    void badAudioIsRefusedWithItsReason() throws IOException {
        AudioDecoder decoder = new AudioDecoder(30);
        assertTrue(assertThrows(AudioDecodeException.class, () -> decoder.decode(new byte[0])).getMessage()
                .contains("no audio bytes"));
        assertTrue(assertThrows(AudioDecodeException.class, () -> decoder.decode("not a sound at all".getBytes()))
                .getMessage().startsWith("not a WAV, AIFF, AU or FLAC file"));
        byte[] wav = resource("/fixtures/audio/sine440_1s.wav");
        AudioDecodeException cut = assertThrows(AudioDecodeException.class, () -> decoder.decode(Arrays.copyOf(wav, 30)));
        assertTrue(cut.getMessage().startsWith("not a WAV, AIFF, AU or FLAC file") || cut.getMessage().startsWith("corrupt"),
                cut.getMessage());
        AudioDecodeException longClip = assertThrows(AudioDecodeException.class,
                () -> decoder.decode(resource("/fixtures/audio/long_35s.wav")));
        assertEquals("audio of 35.0 s exceeds the limit of 30.0 s", longClip.getMessage());
        // a WAV header with no samples after it
        AudioDecodeException empty = assertThrows(AudioDecodeException.class, () -> decoder.decode(Arrays.copyOf(wav, 44)));
        assertEquals("the audio has no samples", empty.getMessage());
    }
}
