package dev.caption.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import ai.djl.ndarray.NDManager;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.nn.clip.ImageDecoder;
import dev.caption.nn.clip.RgbImage;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.train.AdapterTrainer;
import dev.caption.nn.train.FeatureCache;
import dev.caption.nn.train.TrainSettings;
import dev.caption.nn.train.TrainingExample;
import dev.caption.nn.train.TrainingHistory;
import dev.caption.nn.train.TrainingListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Data, models and hyper-parameters shared by {@code train} and {@code compare-adapters}. */
public final class TrainingOptions {

    @Option(names = "--data", required = true, paramLabel = "PATH", description = "Dataset directory or Karpathy-split .json (see `caption dataset info`).")
    Path data;

    @Option(names = "--images", paramLabel = "DIR", description = "Where the images are, if not beside the captions.")
    Path images;

    @Option(names = "--features", paramLabel = "DIR", description = "Feature cache directory (default: OUT/features); reused across runs.")
    Path featuresDir;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--features-from-topic", description = {"First fill the feature cache from caption.features (what the",
        "encoder-service emitted: ids must be the dataset's image ids, e.g. published with --id-from name), then",
        "encode only what it lacks."})
    boolean featuresFromTopic;

    @Option(names = "--clip", defaultValue = "openai/clip-vit-base-patch32", paramLabel = "HF-ID|DIR") String clip;
    @Option(names = "--clip-revision", paramLabel = "REV") String clipRevision;
    @Option(names = "--layer", defaultValue = "-2", description = "CLIP hidden state (default: ${DEFAULT-VALUE}, LLaVA's penultimate).") int layer;
    @Option(names = "--keep-cls", description = "Keep the CLS token in the features.") boolean keepCls;
    @Option(names = "--llm", defaultValue = "Qwen/Qwen3-0.6B", paramLabel = "HF-ID|DIR") String llm;
    @Option(names = "--llm-revision", paramLabel = "REV") String llmRevision;
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda:N") String device;

    @Option(names = "--epochs", defaultValue = "3") int epochs;
    @Option(names = "--batch-size", defaultValue = "8") int batchSize;
    @Option(names = "--lr", defaultValue = "1e-3") double lr;
    @Option(names = "--weight-decay", defaultValue = "0.01") double weightDecay;
    @Option(names = "--warmup", defaultValue = "20", description = "Warm-up steps, then cosine decay.") int warmup;
    @Option(names = "--clip-grad", defaultValue = "1.0", description = "Global gradient-norm limit (0: none).") double clipGrad;
    @Option(names = "--captions", defaultValue = "random", paramLabel = "random|all",
            description = "Per image and epoch: one random caption, or every caption.") String captions;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--max-caption-tokens", defaultValue = "48") int maxCaptionTokens;
    @Option(names = "--max-steps", defaultValue = "0", description = "Stop after this many steps (0: all epochs).") int maxSteps;
    @Option(names = "--limit", defaultValue = "0", description = "Use only the first N training images (0: all).") int limit;

    /** The splits with their features cached. */
    record Prepared(List<TrainingExample> train, List<TrainingExample> validation, List<Datasets.Entry> test,
                    FeatureCache features) {
    }

    TrainSettings settings() {
        if (!captions.equals("random") && !captions.equals("all")) {
            throw new IllegalArgumentException("--captions must be random or all, got " + captions);
        }
        return new TrainSettings(epochs, batchSize, lr, weightDecay, warmup, clipGrad, captions.equals("all"), seed,
                maxCaptionTokens, maxSteps);
    }

    /** Imports the dataset and makes sure every image of every split is in the feature cache (encoding the rest). */
    Prepared prepare(Path defaultFeatures) {
        settings();
        Datasets.Dataset d = Datasets.load(data, Optional.ofNullable(images));
        List<Datasets.Entry> train = d.split(Datasets.Split.TRAIN);
        if (limit > 0 && train.size() > limit) {
            train = train.subList(0, limit);
        }
        List<Datasets.Entry> val = d.split(Datasets.Split.VAL);
        List<Datasets.Entry> test = d.split(Datasets.Split.TEST);
        System.err.printf("%s: %d train, %d validation, %d test images%n", d.layout(), train.size(), val.size(), test.size());
        if (train.isEmpty() || val.isEmpty()) {
            throw new IllegalArgumentException("the dataset needs images in both the train and the validation split ("
                    + train.size() + " and " + val.size() + ")");
        }
        List<Datasets.Entry> all = new ArrayList<>(train);
        all.addAll(val);
        all.addAll(test);
        Path dir = featuresDir != null ? featuresDir : defaultFeatures;
        FeatureCache cache = encode(dir, all);
        return new Prepared(examples(train, cache), examples(val, cache),
                test.stream().filter(e -> cache.contains(e.id())).toList(), cache);
    }

    private List<TrainingExample> examples(List<Datasets.Entry> entries, FeatureCache cache) {
        return entries.stream().filter(e -> cache.contains(e.id()))
                .map(e -> new TrainingExample(e.id(), e.captions())).toList();
    }

    /** CLIP runs only on images not cached yet; unreadable images are skipped and listed. */
    private FeatureCache encode(Path dir, List<Datasets.Entry> entries) {
        try (ClipEncoder encoder = ClipEncoder.load(clip, clipRevision, layer, keepCls, device,
                HubEnvironment.fromSystem(), new DownloadProgress())) {
            ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
            RgbImage probe = new RgbImage(1, 1, new byte[3]);
            ClipEncoder.Features shape = encoder.encode(List.of(probe)).get(0);
            FeatureCache cache = FeatureCache.open(dir, new FeatureCache.Source(encoder.modelId(), encoder.revision(),
                    layer, keepCls, shape.tokens(), shape.dim()));
            if (featuresFromTopic) {
                replay(cache, entries, encoder.modelId());
            }
            List<Datasets.Entry> todo = entries.stream().filter(e -> !cache.contains(e.id())).toList();
            List<String> skipped = new ArrayList<>();
            if (!todo.isEmpty()) {
                System.err.printf("encoding %d images with %s (cached: %d)%n", todo.size(), encoder.modelId(),
                        entries.size() - todo.size());
                try (ProgressBar bar = System.console() != null ? Publisher.progressBar("encode", todo.size()) : null) {
                    for (int from = 0; from < todo.size(); from += 16) {
                        List<Datasets.Entry> batch = todo.subList(from, Math.min(todo.size(), from + 16));
                        List<RgbImage> imgs = new ArrayList<>();
                        List<String> ids = new ArrayList<>();
                        for (Datasets.Entry e : batch) {
                            try {
                                imgs.add(decoder.decode(Files.readAllBytes(e.image())));
                                ids.add(e.id());
                            } catch (Exception ex) {
                                skipped.add(e.image() + " (" + ex.getMessage() + ")");
                            }
                        }
                        if (!imgs.isEmpty()) {
                            List<ClipEncoder.Features> f = encoder.encode(imgs);
                            for (int i = 0; i < ids.size(); i++) {
                                cache.put(ids.get(i), f.get(i).values());
                            }
                        }
                        if (bar != null) {
                            bar.stepTo(Math.min(todo.size(), from + 16));
                        }
                    }
                }
                cache.flush();
            }
            if (!skipped.isEmpty()) {
                System.err.printf("skipped %d unreadable images: %s%s%n", skipped.size(),
                        String.join(", ", skipped.subList(0, Math.min(5, skipped.size()))), skipped.size() > 5 ? ", ..." : "");
            }
            return cache;
        }
    }

    /** Takes the dataset's images that caption.features holds with the same encoder, layer, CLS choice and shape. */
    private void replay(FeatureCache cache, List<Datasets.Entry> entries, String encoderModel) {
        java.util.Set<String> wanted = new java.util.HashSet<>();
        entries.stream().filter(e -> !cache.contains(e.id())).forEach(e -> wanted.add(e.id()));
        String topic = kafka.topics().name(dev.caption.core.kafka.Topic.FEATURES);
        int[] counts = new int[3];      // taken, from other features, malformed
        FeatureCache.Source want = cache.source();
        try (var consumer = TopicReplay.consumer(kafka.settings(), kafka.topics(), "train-features")) {
            TopicReplay.fromBeginning(consumer, topic, r -> {
                if (!wanted.contains(r.key()) || cache.contains(r.key())) {
                    return;
                }
                try {
                    dev.caption.core.message.FeatureFrame f = dev.caption.core.message.FeatureFrame.CODEC.fromRecord(r);
                    if (AdapterSpec.sameModel(f.encoderModel(), encoderModel) && f.layer() == want.layer()
                            && f.keepCls() == want.keepCls() && f.features().dim(0) == want.tokens()
                            && f.features().dim(1) == want.dim()) {
                        cache.put(f.id(), f.features().toFloats());
                        counts[0]++;
                    } else {
                        counts[1]++;
                    }
                } catch (RuntimeException e) {
                    counts[2]++;
                }
            });
        }
        cache.flush();
        System.err.printf("%s: %d images taken into the feature cache, %d skipped as other features (encoder, layer, CLS "
                + "or shape), %d malformed%n", topic, counts[0], counts[1], counts[2]);
    }

    Qwen3Captioner loadLlm() {
        return Qwen3Captioner.load(llm, llmRevision, device, "fp32", HubEnvironment.fromSystem(), new DownloadProgress());
    }

    AdapterSpec spec(String id, String strategy, Map<String, Integer> options, FeatureCache.Source f, Qwen3Captioner lm) {
        return new AdapterSpec(AdapterSpec.FORMAT, id, strategy, options,
                new AdapterSpec.Vision(f.model(), f.revision(), f.layer(), f.keepCls(), f.tokens(), f.dim()),
                new AdapterSpec.Llm(lm.modelId(), lm.revision(), lm.hiddenSize()),
                new AdapterSpec.Prompt(Qwen3Captioner.IMAGE_PROMPT_BEFORE, Qwen3Captioner.IMAGE_PROMPT_AFTER), null);
    }

    /** Trains with a progress bar (loss, learning rate, tokens/s) and a line per epoch. */
    TrainingHistory train(Adapter adapter, Qwen3Captioner lm, Prepared data, Path out, boolean resume, NDManager manager,
                          String task) {
        AdapterTrainer trainer = new AdapterTrainer(lm.model(), lm.tokenizer(), manager);
        ProgressBar[] bar = new ProgressBar[1];
        try {
            return trainer.train(adapter, data.features(), data.train(), data.validation(), settings(), out, resume,
                    new TrainingListener() {
                        @Override
                        public void onStep(int step, int total, double loss, double lr, double tokensPerSecond) {
                            if (bar[0] == null && System.console() != null) {
                                bar[0] = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                                        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().build();
                            }
                            if (bar[0] != null) {
                                bar[0].stepTo(step);
                                bar[0].setExtraMessage(String.format(Locale.ROOT, "loss %.3f lr %.1e %.0f tok/s", loss, lr,
                                        tokensPerSecond));
                            }
                        }

                        @Override
                        public void onEpoch(int epoch, double trainLoss, double validationLoss, boolean best) {
                            String line = String.format(Locale.ROOT, "epoch %d: train loss %.4f, validation loss %.4f%s",
                                    epoch, trainLoss, validationLoss, best ? " (best, saved)" : "");
                            if (bar[0] != null) {
                                bar[0].setExtraMessage(line);
                            }
                            System.err.println(line);
                        }
                    });
        } finally {
            if (bar[0] != null) {
                bar[0].close();
            }
        }
    }
}
