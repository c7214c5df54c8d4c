package dev.caption.nn.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import ai.djl.ndarray.NDManager;
import dev.caption.nn.qwen3.Prompt;

/** Adapters on audio features: sequences of as many frames as the clip covers, up to the encoder's window. */
class AudioAdapterTest {

    static AdapterSpec spec(String strategy, Map<String, Integer> options) {
        return AdapterSpec.builder(strategy, AdapterSpec.Vision.audio("whisper-tiny", "local", -1, 1500, 64),
                new AdapterSpec.Llm("qwen3-shapes", "local", 32)).id(strategy + "-audio").options(options).build();
    }

    private static float[] frames(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    @Test
    void convCompressesEachClipsTimeAxisSoItsPrefixIsAsLongAsTheClip() {
        try (NDManager m = NDManager.newBaseManager(); Adapter conv = Adapter.create(spec("conv", Map.of()), m, 1)) {
            assertEquals(25, conv.prefixTokens(100));
            assertEquals(9, conv.prefixTokens(37));
            assertEquals(375, conv.prefixTokens(1500));
            List<float[]> prefixes = conv.project(List.of(frames(100, 1), frames(37, 2), frames(100, 3)));
            assertEquals(List.of(25 * 32, 9 * 32, 25 * 32), prefixes.stream().map(p -> p.length).toList());
            // grouping by length changes nothing: each clip alone gives the same prefix
            assertArrayEquals(conv.project(List.of(frames(37, 2))).get(0), prefixes.get(1), 1e-6f);
            assertArrayEquals(conv.project(List.of(frames(100, 3))).get(0), prefixes.get(2), 1e-6f);
            IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class, () -> conv.prefixTokens(3));
            assertEquals("the conv adapter conv-audio (stride 2, twice) needs at least 4 frames, got 3", tooShort.getMessage());
        }
    }

    @Test
    void meanGivesItsTokensWhateverTheClipLength() {
        try (NDManager m = NDManager.newBaseManager(); Adapter mean = Adapter.create(spec("mean", Map.of("tokens", 4)), m, 1)) {
            List<float[]> prefixes = mean.project(List.of(frames(1, 1), frames(250, 2)));
            assertEquals(4 * 32, prefixes.get(0).length);
            assertEquals(4 * 32, prefixes.get(1).length);
            assertEquals(4, mean.prefixTokens(1500));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"avgpool", "resampler"})
    void gridStrategiesRefuseAudioNamingTheOnesThatFit(String strategy) {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Adapter.create(spec(strategy, Map.of()), m, 1));
            assertTrue(e.getMessage().startsWith("the " + strategy + " adapter "), e.getMessage());
            assertTrue(e.getMessage().endsWith("audio features are a 1-D sequence of frames: use --strategy conv or mean "
                    + "(or mlp) for audio"), e.getMessage());
        }
    }

    @Test
    void anAudioAdapterTakesOneToItsWindowOfFramesOfItsOwnEncoderOnly() {
        AdapterSpec spec = spec("conv", Map.of());
        spec.checkFeatures("whisper-tiny", -1, false, 1, 64);
        spec.checkFeatures("whisper-tiny", -1, false, 1500, 64);
        assertEquals("features do not fit adapter conv-audio: shape [1501 x 64] (adapter: [1..1500 x 64])",
                assertThrows(IllegalArgumentException.class, () -> spec.checkFeatures("whisper-tiny", -1, false, 1501, 64))
                        .getMessage());
        assertEquals("features do not fit adapter conv-audio: encoder clip-tiny (adapter: whisper-tiny), shape [49 x 48] "
                + "(adapter: [1..1500 x 64])", assertThrows(IllegalArgumentException.class,
                () -> spec.checkFeatures("clip-tiny", -1, false, 49, 48)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> spec("mean", Map.of()).checkFeatures("whisper-tiny", -1, false, 0, 64));
    }

    @Test
    void anAudioSpecSaysAudioInItsPromptAndKeepsItsModalityThroughAdapterJson(@TempDir Path dir) {
        AdapterSpec spec = spec("mean", Map.of());
        assertEquals(Prompt.AUDIO, spec.prompt());
        assertTrue(spec.prompt().after().contains("Describe the audio in one sentence."), spec.prompt().after());
        try (NDManager m = NDManager.newBaseManager(); Adapter a = Adapter.create(spec, m, 1)) {
            a.save(dir, spec);
            try (Adapter loaded = Adapter.load(dir, m)) {
                assertTrue(loaded.spec().vision().audio());
                assertEquals(Prompt.AUDIO, loaded.spec().prompt());
                assertArrayEquals(a.project(List.of(frames(40, 5))).get(0), loaded.project(List.of(frames(40, 5))).get(0), 1e-6f);
            }
        }
    }

    @Test
    void anAdapterJsonWithoutAModalityIsAnImageAdapter() {
        AdapterSpec.Vision v = new AdapterSpec.Vision("clip-tiny", "local", -2, false, 49, 48, null);
        assertEquals(AdapterSpec.Vision.IMAGE, v.modality());
        assertEquals("adapter.json: unknown modality 'video' (image or audio)", assertThrows(IllegalArgumentException.class,
                () -> new AdapterSpec.Vision("clip-tiny", "local", -2, false, 49, 48, "video")).getMessage());
    }
}
