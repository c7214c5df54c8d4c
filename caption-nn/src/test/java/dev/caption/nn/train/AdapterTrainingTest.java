package dev.caption.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import ai.djl.ndarray.NDManager;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.nn.clip.ClipSpec;
import dev.caption.image.ImageDecoder;
import dev.caption.image.RgbImage;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Qwen3ForCausalLM;
import dev.caption.nn.qwen3.Qwen3Tokenizer;
import dev.caption.nn.shapes.ShapesDataset;

/**
 * Adapter training on shapes-world images with the tiny random CLIP and qwen3-shapes (a tiny Qwen3 trained on the
 * world's captions): every strategy lowers the validation loss substantially, and a resumed run continues exactly
 * as an uninterrupted one.
 */
class AdapterTrainingTest {

    private static Path fixtures;
    private static NDManager manager;
    private static Qwen3ForCausalLM llm;
    private static Qwen3Tokenizer tokenizer;
    private static FeatureSource features;
    private static List<TrainingExample> train;
    private static List<TrainingExample> validation;

    @BeforeAll
    static void encodeDataset() throws Exception {
        fixtures = Path.of(AdapterTrainingTest.class.getResource("/fixtures/qwen3-shapes/config.json").toURI()).getParent().getParent();
        manager = NDManager.newBaseManager();
        llm = Qwen3ForCausalLM.load(fixtures.resolve("qwen3-shapes"), List.of("model.safetensors"), manager);
        tokenizer = Qwen3Tokenizer.load(fixtures.resolve("qwen3-shapes/tokenizer.json"));
        List<ShapesDataset.Sample> samples = ShapesDataset.generate(96, 64, 11);
        Map<String, float[]> byId = new HashMap<>();
        ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
        try (ClipEncoder clip = ClipSpec.builder(fixtures.resolve("clip-tiny").toString()).build()
                .open(HubEnvironment.fromSystem(), DownloadListener.NONE)) {
            List<RgbImage> images = new ArrayList<>();
            samples.forEach(s -> images.add(decoder.decode(s.png())));
            List<ClipEncoder.Features> f = clip.encode(images);
            for (int i = 0; i < samples.size(); i++) {
                byId.put(samples.get(i).id(), f.get(i).values());
            }
            int tokens = f.get(0).tokens();
            int dim = f.get(0).dim();
            features = new FeatureSource() {
                public float[] features(String id) {
                    return byId.get(id);
                }

                public int tokens() {
                    return tokens;
                }

                public int dim() {
                    return dim;
                }
            };
        }
        train = new ArrayList<>();
        validation = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            TrainingExample e = new TrainingExample(samples.get(i).id(), samples.get(i).captions());
            (i < 80 ? train : validation).add(e);
        }
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        llm.close();
        manager.close();
    }

    static AdapterSpec spec(String strategy) {
        return AdapterSpec.builder(strategy, AdapterSpec.Vision.image("clip-tiny", "local", -2, false, features.tokens(),
                features.dim()), new AdapterSpec.Llm("qwen3-shapes", "local", 64)).id(strategy + "-synthetic").build();
    }

    private static final TrainSettings SETTINGS = TrainSettings.builder().epochs(12).batchSize(8).learningRate(1e-3)
            .weightDecay(0).warmupSteps(4).seed(5).maxCaptionTokens(32).build();

    @ParameterizedTest
    @ValueSource(strings = {"mean", "avgpool", "conv", "resampler", "mlp"})
    void trainingLowersTheValidationLossSubstantially(String strategy, @TempDir Path out) {
        try (Adapter adapter = Adapter.create(spec(strategy), manager, 1)) {
            AdapterTrainer trainer = new AdapterTrainer(llm, tokenizer, manager);
            double before = trainer.validationLoss(adapter, features, validation, SETTINGS);
            TrainingHistory h = trainer.train(adapter, features, train, validation, SETTINGS, out, false, TrainingListener.NONE);
            double after = h.bestValidationLoss();
            System.out.printf("train %-9s validation loss %.3f -> %.3f (%d steps)%n", strategy, before, after, h.stepLoss().size());
            assertTrue(before - after > 0.1, strategy + ": validation loss " + before + " -> " + after);
            assertEquals(SETTINGS.epochs(), h.epochs().size());
            try (Adapter best = Adapter.load(out.resolve(AdapterTrainer.BEST), manager)) {
                assertEquals(after, trainer.validationLoss(best, features, validation, SETTINGS), 1e-4);
                assertEquals(h.bestValidationLoss(), (double) best.spec().training().get("best_validation_loss"), 1e-9);
            }
        }
    }

    @Test
    void aResumedRunContinuesExactlyAsAnUninterruptedOne(@TempDir Path straight, @TempDir Path resumed) {
        AdapterTrainer trainer = new AdapterTrainer(llm, tokenizer, manager);
        TrainSettings two = SETTINGS.toBuilder().epochs(2).build();
        try (Adapter a = Adapter.create(spec("avgpool"), manager, 1); Adapter b = Adapter.create(spec("avgpool"), manager, 1);
             Adapter c = Adapter.create(spec("avgpool"), manager, 99)) {
            TrainingHistory full = trainer.train(a, features, train, validation, two, straight, false, TrainingListener.NONE);
            // the same run, killed right after its first epoch was checkpointed; then resumed
            class Killed extends RuntimeException {
            }
            assertThrows(Killed.class, () -> trainer.train(b, features, train, validation, two, resumed, false,
                    new TrainingListener() {
                        @Override
                        public void onEpoch(int epoch, double trainLoss, double validationLoss, boolean best) {
                            throw new Killed();
                        }
                    }));
            // c starts from other weights: resuming must load everything from last/
            TrainingHistory rest = trainer.train(c, features, train, validation, two, resumed, true, TrainingListener.NONE);
            assertEquals(full.stepLoss(), rest.stepLoss());
            assertEquals(full.epochs(), rest.epochs());
            for (String name : a.parameters().keySet()) {
                assertArrayEquals(a.parameters().get(name).toFloatArray(), c.parameters().get(name).toFloatArray(), name);
            }
        }
    }

    @Test
    void aStepWithANonFiniteLossIsSkippedAndTrainingGoesOn(@TempDir Path out) {
        String poisoned = train.get(3).id();
        FeatureSource withNaN = new FeatureSource() {
            public float[] features(String id) {
                float[] f = features.features(id).clone();
                if (id.equals(poisoned)) {
                    f[0] = Float.NaN;
                }
                return f;
            }

            public int tokens() {
                return features.tokens();
            }

            public int dim() {
                return features.dim();
            }
        };
        AdapterTrainer trainer = new AdapterTrainer(llm, tokenizer, manager);
        TrainSettings two = SETTINGS.toBuilder().epochs(2).build();
        List<Integer> skippedSteps = new ArrayList<>();
        try (Adapter adapter = Adapter.create(spec("mlp"), manager, 1)) {
            TrainingHistory h = trainer.train(adapter, withNaN, train, validation, two, out, false, new TrainingListener() {
                @Override
                public void onSkippedStep(int step, String what) {
                    skippedSteps.add(step);
                }
            });
            // the batch holding the poisoned image, once per epoch; every other step ran
            assertEquals(2, h.skipped().size(), h.skipped().toString());
            assertTrue(h.skipped().get(0).matches("step \\d+: loss NaN"), h.skipped().get(0));
            assertEquals(2, skippedSteps.size());
            assertEquals(2 * 10 - 2, h.stepLoss().size());
            assertTrue(h.stepLoss().stream().allMatch(Double::isFinite));
            adapter.parameters().forEach((k, v) -> {
                for (float x : v.toFloatArray()) {
                    assertTrue(Float.isFinite(x), k);
                }
            });
        }
    }

    @Test
    void aDivergingRunStopsAfterFourSkippedStepsInARowAndLeavesTheLastGoodEpochInPlace(@TempDir Path out) {
        AdapterTrainer trainer = new AdapterTrainer(llm, tokenizer, manager);
        // one sane epoch, then a learning rate no adapter survives
        TrainSettings sane = SETTINGS.toBuilder().epochs(1).build();
        try (Adapter adapter = Adapter.create(spec("mlp"), manager, 1)) {
            trainer.train(adapter, features, train, validation, sane, out, false, TrainingListener.NONE);
            Map<String, float[]> before = new HashMap<>();
            adapter.parameters().forEach((k, v) -> before.put(k, v.toFloatArray()));
            TrainSettings wild = SETTINGS.toBuilder().epochs(3).learningRate(1e36).warmupSteps(0).clipNorm(0).build();
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> trainer.train(adapter, features, train, validation, wild, out, false, TrainingListener.NONE));
            assertTrue(e.step() >= 1 && e.step() <= 10, "diverges inside its first epoch, at step " + e.step());
            assertTrue(e.getMessage().startsWith("training diverged: 4 steps in a row had a non-finite loss or gradient "
                    + "(the last, step " + e.step() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("lower the learning rate"), e.getMessage());
            assertEquals(e.step() - 1, e.history().stepLoss().size(), "the skipped steps are not recorded as steps");
            assertEquals(AdapterTrainer.MAX_SKIPPED_IN_A_ROW + 1, e.history().skipped().size(), e.history().skipped().toString());
            try (Adapter best = Adapter.load(out.resolve(AdapterTrainer.BEST), manager)) {
                for (String name : before.keySet()) {
                    assertArrayEquals(before.get(name), best.parameters().get(name).toFloatArray(), name);
                }
            }
        }
    }
}
