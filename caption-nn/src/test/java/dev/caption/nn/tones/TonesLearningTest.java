package dev.caption.nn.tones;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.audio.AudioDecoder;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Qwen3ForCausalLM;
import dev.caption.nn.qwen3.Qwen3Tokenizer;
import dev.caption.nn.train.AdapterTrainer;
import dev.caption.nn.train.FeatureSource;
import dev.caption.nn.train.TrainSettings;
import dev.caption.nn.train.TrainingExample;
import dev.caption.nn.train.TrainingHistory;
import dev.caption.nn.train.TrainingListener;
import dev.caption.nn.whisper.WhisperAudioEncoder;

/**
 * The audio track's training, end to end in one process: tones-world clips as WAV bytes, decoded, through the
 * (random) whisper-tiny encoder, keeping each clip's own frames, then adapters trained through qwen3-shapes with the
 * audio prompt. The clips differ in length, so a batch's rows have prefixes of different lengths.
 */
class TonesLearningTest {

    private static NDManager manager;
    private static Qwen3ForCausalLM llm;
    private static Qwen3Tokenizer tokenizer;
    private static FeatureSource features;
    private static String encoderId;
    private static final Set<Integer> FRAME_COUNTS = new TreeSet<>();
    private static final List<TrainingExample> TRAIN = new ArrayList<>();
    private static final List<TrainingExample> VALIDATION = new ArrayList<>();

    @BeforeAll
    static void encodeClips() throws Exception {
        Path fixtures = Path.of(TonesLearningTest.class.getResource("/fixtures/qwen3-shapes/config.json").toURI())
                .getParent().getParent();
        manager = NDManager.newBaseManager();
        llm = Qwen3ForCausalLM.load(fixtures.resolve("qwen3-shapes"), List.of("model.safetensors"), manager);
        tokenizer = Qwen3Tokenizer.load(fixtures.resolve("qwen3-shapes/tokenizer.json"));
        List<TonesWorld.Sample> samples = TonesWorld.generate(54, 7);
        Map<String, float[]> byId = new HashMap<>();
        AudioDecoder decoder = new AudioDecoder(31);
        int dim;
        try (WhisperAudioEncoder whisper = WhisperAudioEncoder.open(fixtures.resolve("whisper-tiny").toString(), null,
                Device.cpu(), HubEnvironment.fromSystem(), DownloadListener.NONE)) {
            encoderId = whisper.modelId();
            List<float[]> clips = samples.stream().map(s -> whisper.samples(decoder.decode(s.wav()))).toList();
            List<WhisperAudioEncoder.Features> f = new ArrayList<>();
            for (int from = 0; from < clips.size(); from += 9) {
                f.addAll(whisper.encode(clips.subList(from, Math.min(clips.size(), from + 9))));
            }
            for (int i = 0; i < samples.size(); i++) {
                byId.put(samples.get(i).id(), f.get(i).values());
                FRAME_COUNTS.add(f.get(i).frames());
            }
            dim = f.get(0).dim();
        }
        int window = 1500;
        features = new FeatureSource() {
            public float[] features(String id) {
                return byId.get(id);
            }

            public int tokens() {
                return window;
            }

            public int dim() {
                return dim;
            }
        };
        for (int i = 0; i < samples.size(); i++) {
            (i < 45 ? TRAIN : VALIDATION).add(new TrainingExample(samples.get(i).id(), samples.get(i).captions()));
        }
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        llm.close();
        manager.close();
    }

    private static final TrainSettings SETTINGS = TrainSettings.builder().epochs(10).batchSize(8).learningRate(1e-3)
            .weightDecay(0).warmupSteps(4).seed(5).maxCaptionTokens(32).build();

    @Test
    void clipsKeepOnlyTheFramesThatCoverThem() {
        // 1.8 to 2.4 s at 16 kHz: ceil(samples / 320) is 90 to 120 frames, and the clips do not all have the same
        assertTrue(FRAME_COUNTS.size() > 5, FRAME_COUNTS.toString());
        assertTrue(FRAME_COUNTS.stream().allMatch(n -> n >= 90 && n <= 120), FRAME_COUNTS.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"conv", "mean"})
    void trainingAnAudioAdapterLowersTheValidationLoss(String strategy, @TempDir Path out) {
        AdapterSpec spec = AdapterSpec.builder(strategy, AdapterSpec.Vision.audio(encoderId, "local", -1,
                features.tokens(), features.dim()), new AdapterSpec.Llm("qwen3-shapes", "local", 64)).id(strategy + "-tones").build();
        try (Adapter adapter = Adapter.create(spec, manager, 1)) {
            AdapterTrainer trainer = new AdapterTrainer(llm, tokenizer, manager);
            double before = trainer.validationLoss(adapter, features, VALIDATION, SETTINGS);
            TrainingHistory h = trainer.train(adapter, features, TRAIN, VALIDATION, SETTINGS, out, false, TrainingListener.NONE);
            double after = h.bestValidationLoss();
            System.out.printf("tones %-5s validation loss %.3f -> %.3f (%d steps)%n", strategy, before, after, h.stepLoss().size());
            assertTrue(before - after > 0.5, strategy + ": validation loss " + before + " -> " + after);
            try (Adapter best = Adapter.load(out.resolve(AdapterTrainer.BEST), manager)) {
                assertTrue(best.spec().vision().audio());
                assertTrue(best.spec().prompt().template().contains("Describe the audio"));
                assertEquals(after, trainer.validationLoss(best, features, VALIDATION, SETTINGS), 1e-4);
            }
        }
    }
}
