package dev.caption.nn.shapes;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDManager;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.nn.clip.ClipSpec;
import dev.caption.image.ImageDecoder;
import dev.caption.image.RgbImage;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Decoding;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.qwen3.Qwen3ForCausalLM;
import dev.caption.nn.qwen3.Qwen3Spec;
import dev.caption.nn.train.AdapterTrainer;
import dev.caption.nn.train.FeatureSource;
import dev.caption.nn.train.TrainSettings;
import dev.caption.nn.train.TrainingExample;
import dev.caption.nn.train.TrainingListener;

/**
 * The product's whole task in miniature, through the public API: shapes-world images through the random clip-tiny,
 * a conv adapter trained with the default settings through the frozen qwen3-shapes, and greedy captions of images
 * it never saw that name the right colour and shape at least 90% of the time: held-out images of the same renderer,
 * and images that Pillow drew with sizes and places of its own (fixtures/shapes-pil, python/draw_shapes_pil.py).
 */
class ShapesWorldLearningTest {

    private static final int TRAIN = 3200;
    private static final int VALIDATION = 400;
    private static final int TEST = 400;

    @Test
    void anAdapterTrainedWithTheDefaultsCaptionsHeldOutImagesRight(@TempDir Path out) throws Exception {
        Path fixtures = Path.of(getClass().getResource("/fixtures/qwen3-shapes/config.json").toURI()).getParent().getParent();
        List<ShapesDataset.Sample> samples = ShapesDataset.generate(TRAIN + VALIDATION + TEST, 96, 0);
        // images drawn by Pillow, with their scenes read from their references
        Path pil = fixtures.resolve("shapes-pil");
        Map<String, List<String>> pilCaptions = new TreeMap<>();
        for (String line : Files.readAllLines(pil.resolve("captions.txt")).subList(1, 5 * 108 + 1)) {
            String id = line.substring(0, line.indexOf(".png"));
            pilCaptions.computeIfAbsent(id, k -> new ArrayList<>()).add(line.substring(line.indexOf(',') + 2, line.length() - 1));
        }
        Map<String, float[]> features = new HashMap<>();
        int[] shape = new int[2];
        try (ClipEncoder clip = ClipSpec.builder(fixtures.resolve("clip-tiny").toString()).build()
                .open(HubEnvironment.fromSystem(), DownloadListener.NONE)) {
            ImageDecoder decoder = new ImageDecoder();
            for (int from = 0; from < samples.size(); from += 64) {
                List<ShapesDataset.Sample> batch = samples.subList(from, Math.min(samples.size(), from + 64));
                List<ClipEncoder.Features> f = clip.encode(batch.stream().map(s -> decoder.decode(s.png())).toList());
                for (int i = 0; i < batch.size(); i++) {
                    features.put(batch.get(i).id(), f.get(i).values());
                }
                shape[0] = f.get(0).tokens();
                shape[1] = f.get(0).dim();
            }
            for (String id : pilCaptions.keySet()) {
                RgbImage image = decoder.decode(Files.readAllBytes(pil.resolve("Images").resolve(id + ".png")));
                features.put(id, clip.encode(List.of(image)).get(0).values());
            }
        }
        FeatureSource source = new FeatureSource() {
            public float[] features(String id) {
                return features.get(id);
            }

            public int tokens() {
                return shape[0];
            }

            public int dim() {
                return shape[1];
            }
        };
        List<TrainingExample> train = examples(samples.subList(0, TRAIN));
        List<TrainingExample> validation = examples(samples.subList(TRAIN, TRAIN + VALIDATION));
        List<ShapesDataset.Sample> test = samples.subList(TRAIN + VALIDATION, samples.size());
        List<ShapesWorld.Scene> pilScenes = pilCaptions.values().stream().map(c -> ShapesWorld.sceneOf(c).orElseThrow()).toList();

        try (NDManager manager = NDManager.newBaseManager();
             Qwen3Captioner lm = Qwen3Spec.builder(fixtures.resolve("qwen3-shapes").toString())
                     .use(Qwen3ForCausalLM.Use.TRAINING).build()
                     .open(HubEnvironment.fromSystem(), DownloadListener.NONE)) {
            // conv, with its kernel set to clip-tiny's 4x4 patch grid: the 16 patch tokens into one prefix token
            AdapterSpec spec = AdapterSpec.builder("conv",
                            AdapterSpec.Vision.image("clip-tiny", "local", -2, false, shape[0], shape[1]),
                            new AdapterSpec.Llm(lm.modelId(), lm.revision(), lm.hiddenSize()))
                    .id("shapes-test").options(Map.of("kernel", 4)).build();
            try (Adapter adapter = Adapter.create(spec, manager, 0)) {
                new AdapterTrainer(lm.model(), lm.tokenizer(), manager).train(adapter, source, train, validation,
                        TrainSettings.builder().build(), out, false, TrainingListener.NONE);
            }
            try (Adapter best = Adapter.load(out.resolve(AdapterTrainer.BEST), manager)) {
                List<String> heldOut = captions(best, lm, test.stream().map(s -> features.get(s.id())).toList());
                ShapesAccuracy accuracy = ShapesAccuracy.of(test.stream().map(ShapesDataset.Sample::scene).toList(), heldOut);
                System.out.printf("shapes world, held-out images: %d/%d right (colour %d, shape %d)%n", accuracy.right(),
                        accuracy.images(), accuracy.colourRight(), accuracy.shapeRight());
                assertTrue(accuracy.fraction() >= 0.9, accuracy + "; e.g. " + heldOut.subList(0, 5));

                List<String> drawnByPillow = captions(best, lm, pilCaptions.keySet().stream().map(features::get).toList());
                ShapesAccuracy other = ShapesAccuracy.of(pilScenes, drawnByPillow);
                System.out.printf("shapes world, drawn by Pillow: %d/%d right (colour %d, shape %d)%n", other.right(),
                        other.images(), other.colourRight(), other.shapeRight());
                assertTrue(other.fraction() >= 0.9, other + "; e.g. " + drawnByPillow.subList(0, 5));
            }
        }
    }

    private static List<String> captions(Adapter adapter, Qwen3Captioner lm, List<float[]> features) {
        List<String> captions = new ArrayList<>();
        for (int from = 0; from < features.size(); from += 32) {
            List<float[]> prefixes = adapter.project(features.subList(from, Math.min(features.size(), from + 32)));
            List<Qwen3Captioner.Item> items = prefixes.stream()
                    .map(p -> Qwen3Captioner.Item.of(adapter.spec().prompt(), p, adapter.prefixTokens())).toList();
            lm.generate(items, new Decoding.Greedy(16)).first().forEach(r -> captions.add(r.text()));
        }
        return captions;
    }

    private static List<TrainingExample> examples(List<ShapesDataset.Sample> samples) {
        return samples.stream().map(s -> new TrainingExample(s.id(), s.captions())).toList();
    }
}
