package dev.caption.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
import dev.caption.nn.clip.ImageDecoder;
import dev.caption.nn.clip.RgbImage;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.qwen3.Qwen3ForCausalLM;
import dev.caption.nn.qwen3.Qwen3Tokenizer;
import dev.caption.tensor.DType;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

/**
 * Adapter training on a synthetic shapes dataset with the tiny CLIP and tiny Qwen3 fixtures: every strategy lowers
 * the validation loss substantially, and a resumed run continues exactly as an uninterrupted one.
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
        fixtures = Path.of(AdapterTrainingTest.class.getResource("/fixtures/qwen3-tiny/config.json").toURI()).getParent().getParent();
        manager = NDManager.newBaseManager();
        llm = Qwen3ForCausalLM.load(sharpenedQwen3(Files.createTempDirectory("qwen3-sharp")), List.of("model.safetensors"), manager);
        tokenizer = Qwen3Tokenizer.load(fixtures.resolve("qwen3-tiny/tokenizer.json"));
        List<SyntheticShapes.Sample> samples = SyntheticShapes.generate(48, 64, 11);
        Map<String, float[]> byId = new HashMap<>();
        ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
        try (ClipEncoder clip = ClipEncoder.load(fixtures.resolve("clip-tiny").toString(), null, -2, false,
                HubEnvironment.fromSystem(), DownloadListener.NONE)) {
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
            (i < 40 ? train : validation).add(e);
        }
    }

    /**
     * The fixture's random Qwen3 has tied embeddings of norm ~0.11, so its logits span about ±0.6 and no prefix can
     * move its loss more than ~0.7 nats below ln(V). Training is shown on the same weights with an untied lm_head of
     * 30 × embed_tokens, which gives the loss room to move; the loss math itself is checked on the fixture as it is
     * (TeacherForcingParityTest).
     */
    static Path sharpenedQwen3(Path dir) throws Exception {
        Path src = fixtures.resolve("qwen3-tiny");
        Files.copy(src.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("config.json"), Files.readString(src.resolve("config.json"))
                .replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false"));
        SafetensorsBlob weights = Safetensors.decode(Files.readAllBytes(src.resolve("model.safetensors")), 1 << 20);
        Map<String, Tensor> tensors = new LinkedHashMap<>(weights.tensors());
        Tensor embed = weights.tensor("model.embed_tokens.weight");
        float[] head = embed.toFloats();
        for (int i = 0; i < head.length; i++) {
            head[i] *= 30;
        }
        tensors.put("lm_head.weight", Tensor.ofFloats(DType.F32, embed.shape(), head));
        Files.write(dir.resolve("model.safetensors"), Safetensors.encode(tensors));
        return dir;
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        llm.close();
        manager.close();
    }

    static AdapterSpec spec(String strategy) {
        return new AdapterSpec(AdapterSpec.FORMAT, strategy + "-synthetic", strategy, Map.of(),
                new AdapterSpec.Vision("clip-tiny", "local", -2, false, features.tokens(), features.dim()),
                new AdapterSpec.Llm("qwen3-tiny", "local", 32),
                new AdapterSpec.Prompt(Qwen3Captioner.IMAGE_PROMPT_BEFORE, Qwen3Captioner.IMAGE_PROMPT_AFTER), null);
    }

    private static final TrainSettings SETTINGS = new TrainSettings(8, 8, 1e-2, 0.0, 4, 1.0, false, 5, 32, 0);

    @ParameterizedTest
    @ValueSource(strings = {"mean", "avgpool", "conv", "resampler", "mlp"})
    void trainingLowersTheValidationLossSubstantially(String strategy, @TempDir Path out) {
        try (Adapter adapter = Adapter.create(spec(strategy), manager, 1)) {
            AdapterTrainer trainer = new AdapterTrainer(llm, tokenizer, manager);
            double before = trainer.validationLoss(adapter, features, validation, SETTINGS);
            TrainingHistory h = trainer.train(adapter, features, train, validation, SETTINGS, out, false, TrainingListener.NONE);
            double after = h.bestValidationLoss();
            System.out.printf("train %-9s validation loss %.3f -> %.3f (%d steps)%n", strategy, before, after, h.stepLoss().size());
            assertTrue(before - after > 1.5, strategy + ": validation loss " + before + " -> " + after);
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
        TrainSettings two = SETTINGS.withEpochs(2);
        try (Adapter a = Adapter.create(spec("avgpool"), manager, 1); Adapter b = Adapter.create(spec("avgpool"), manager, 1);
             Adapter c = Adapter.create(spec("avgpool"), manager, 99)) {
            TrainingHistory full = trainer.train(a, features, train, validation, two, straight, false, TrainingListener.NONE);
            // the first epoch with a two-epoch schedule (as a run that is stopped after it), then resume
            trainer.train(b, features, train, validation, new TrainSettings(2, 8, 1e-2, 0.0, 4, 1.0, false, 5, 32,
                    full.epochs().get(0).step()), resumed, false, TrainingListener.NONE);
            // c starts from other weights: resuming must load everything from last/
            TrainingHistory rest = trainer.train(c, features, train, validation, two, resumed, true, TrainingListener.NONE);
            assertEquals(full.stepLoss(), rest.stepLoss());
            assertEquals(full.epochs(), rest.epochs());
            for (String name : a.parameters().keySet()) {
                assertArrayEquals(a.parameters().get(name).toFloatArray(), c.parameters().get(name).toFloatArray(), name);
            }
        }
    }
}
