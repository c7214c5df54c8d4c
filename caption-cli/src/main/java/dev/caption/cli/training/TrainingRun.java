package dev.caption.cli.training;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import ai.djl.ndarray.NDManager;
import dev.caption.cli.DownloadProgress;
import dev.caption.cli.Progress;
import dev.caption.cli.streams.TopicReplay;
import dev.caption.core.kafka.Topic;
import dev.caption.core.message.FeatureFrame;
import dev.caption.nn.Devices;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.audio.AudioDecoder;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.image.ImageDecoder;
import dev.caption.image.RgbImage;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.hub.ModelRef;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.train.AdapterTrainer;
import dev.caption.nn.train.FeatureCache;
import dev.caption.nn.train.TrainingExample;
import dev.caption.nn.train.TrainingHistory;
import dev.caption.nn.train.TrainingListener;
import dev.caption.nn.whisper.WhisperAudioEncoder;
import me.tongfei.progressbar.ProgressBar;

/**
 * What {@code train} and {@code compare-adapters} do with their {@link TrainingOptions}: import the dataset, make
 * sure every image is in the feature cache (replaying caption.features first if asked, then running CLIP on the
 * rest), load the frozen LLM, and train with a progress bar and a line per epoch on {@code err}.
 */
final class TrainingRun {

    private static final int ENCODE_BATCH = 16;

    /** The splits with their features cached. */
    record Prepared(List<TrainingExample> train, List<TrainingExample> validation, List<Datasets.Entry> test,
                    FeatureCache features) {
    }

    private final TrainingOptions options;
    private final PrintWriter err;

    TrainingRun(TrainingOptions options, PrintWriter err) {
        this.options = options;
        this.err = err;
    }

    /**
     * Imports the dataset and makes sure every image of every split is in the feature cache (encoding the rest); the
     * cache is {@code --features} or {@code out/features}.
     */
    Prepared prepare(Path out) {
        options.settings();
        Datasets.Dataset d = Datasets.load(options.data(out), Optional.ofNullable(options.images));
        String modality = options.audio() ? Datasets.AUDIO : Datasets.IMAGE;
        if (!d.modality().equals(modality)) {
            throw new IllegalArgumentException(d.layout() + " holds " + d.modality() + (d.modality().equals(Datasets.AUDIO)
                    ? " clips: pass --modality audio" : "s: --modality audio needs an audio dataset (AudioCaps' layout)"));
        }
        List<Datasets.Entry> train = d.split(Datasets.Split.TRAIN);
        if (options.limit > 0 && train.size() > options.limit) {
            train = train.subList(0, options.limit);
        }
        List<Datasets.Entry> val = d.split(Datasets.Split.VAL);
        List<Datasets.Entry> test = d.split(Datasets.Split.TEST);
        String items = options.audio() ? "clips" : "images";
        err.printf("%s: %d train, %d validation, %d test %s%n", d.layout(), train.size(), val.size(), test.size(), items);
        if (train.isEmpty() || val.isEmpty()) {
            throw new IllegalArgumentException("the dataset needs " + items + " in both the train and the validation split ("
                    + train.size() + " and " + val.size() + ")");
        }
        List<Datasets.Entry> all = new ArrayList<>(train);
        all.addAll(val);
        all.addAll(test);
        Path cacheDir = options.featuresDir != null ? options.featuresDir : out.resolve("features");
        FeatureCache cache = options.audio() ? encodeAudio(cacheDir, all) : encode(cacheDir, all);
        return new Prepared(examples(train, cache), examples(val, cache),
                test.stream().filter(e -> cache.contains(e.id())).toList(), cache);
    }

    private static List<TrainingExample> examples(List<Datasets.Entry> entries, FeatureCache cache) {
        return entries.stream().filter(e -> cache.contains(e.id()))
                .map(e -> new TrainingExample(e.id(), e.captions())).toList();
    }

    /** CLIP runs only on images not cached yet; unreadable images are skipped and listed. */
    private FeatureCache encode(Path dir, List<Datasets.Entry> entries) {
        try (ClipEncoder encoder = options.clipSpec().open(HubEnvironment.fromSystem(), new DownloadProgress(err))) {
            ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
            ClipEncoder.Features shape = encoder.encode(List.of(new RgbImage(1, 1, new byte[3]))).get(0);
            FeatureCache cache = FeatureCache.open(dir, new FeatureCache.Source(encoder.modelId(), encoder.revision(),
                    encoder.layer(), encoder.keepCls(), shape.tokens(), shape.dim(), Datasets.IMAGE));
            if (options.featuresFromTopic) {
                replay(cache, entries);
            }
            return fill(cache, entries, "images", encoder.modelId(), batch -> {
                List<RgbImage> images = new ArrayList<>();
                for (Datasets.Entry e : batch) {
                    images.add(decoder.decode(Files.readAllBytes(e.file())));
                }
                return encoder.encode(images).stream().map(ClipEncoder.Features::values).toList();
            });
        }
    }

    /** Whisper runs only on clips not cached yet; each keeps the frames that cover it. Unreadable clips are skipped. */
    private FeatureCache encodeAudio(Path dir, List<Datasets.Entry> entries) {
        try (WhisperAudioEncoder encoder = WhisperAudioEncoder.open(options.audioEncoderModel(), options.audioEncoderRevision,
                Devices.parse(options.device), HubEnvironment.fromSystem(), new DownloadProgress(err))) {
            AudioDecoder decoder = new AudioDecoder(options.maxAudioSeconds);
            FeatureCache cache = FeatureCache.open(dir, new FeatureCache.Source(encoder.modelId(), encoder.revision(),
                    WhisperAudioEncoder.LAST_HIDDEN_STATE, false, encoder.maxFrames(), encoder.dim(), Datasets.AUDIO));
            if (options.featuresFromTopic) {
                replay(cache, entries);
            }
            return fill(cache, entries, "clips", encoder.modelId(), batch -> {
                List<float[]> clips = new ArrayList<>();
                for (Datasets.Entry e : batch) {
                    clips.add(encoder.samples(decoder.decode(Files.readAllBytes(e.file()))));
                }
                return encoder.encode(clips).stream().map(WhisperAudioEncoder.Features::values).toList();
            });
        }
    }

    /** Encodes a batch of entries' files to their features, in order; throws if one cannot be read. */
    private interface BatchEncoder {
        List<float[]> encode(List<Datasets.Entry> batch) throws Exception;
    }

    /**
     * Puts every entry not cached yet into the cache, {@value #ENCODE_BATCH} at a time, with a progress bar. A batch
     * that fails is encoded again one entry at a time, so that only the unreadable files are skipped and listed.
     */
    private FeatureCache fill(FeatureCache cache, List<Datasets.Entry> entries, String items, String model,
                              BatchEncoder encoder) {
        List<Datasets.Entry> todo = entries.stream().filter(e -> !cache.contains(e.id())).toList();
        List<String> skipped = new ArrayList<>();
        if (!todo.isEmpty()) {
            err.printf("encoding %d %s with %s (cached: %d)%n", todo.size(), items, model, entries.size() - todo.size());
            try (ProgressBar bar = Progress.bar("encode", todo.size())) {
                for (int from = 0; from < todo.size(); from += ENCODE_BATCH) {
                    List<Datasets.Entry> batch = todo.subList(from, Math.min(todo.size(), from + ENCODE_BATCH));
                    try {
                        put(cache, batch, encoder.encode(batch));
                    } catch (Exception batchFailed) {
                        for (Datasets.Entry e : batch) {
                            try {
                                put(cache, List.of(e), encoder.encode(List.of(e)));
                            } catch (Exception ex) {
                                skipped.add(e.file() + " (" + ex.getMessage() + ")");
                            }
                        }
                    }
                    Progress.stepTo(bar, Math.min(todo.size(), from + ENCODE_BATCH));
                }
            }
            cache.flush();
        }
        if (!skipped.isEmpty()) {
            err.printf("skipped %d unreadable %s: %s%s%n", skipped.size(), items,
                    String.join(", ", skipped.subList(0, Math.min(5, skipped.size()))), skipped.size() > 5 ? ", ..." : "");
        }
        return cache;
    }

    private static void put(FeatureCache cache, List<Datasets.Entry> batch, List<float[]> features) {
        for (int i = 0; i < batch.size(); i++) {
            cache.put(batch.get(i).id(), features.get(i));
        }
    }

    /**
     * Takes the dataset's items that caption.features holds with the same encoder, modality, layer, CLS choice and
     * shape.
     */
    private void replay(FeatureCache cache, List<Datasets.Entry> entries) {
        Set<String> wanted = new HashSet<>();
        entries.stream().filter(e -> !cache.contains(e.id())).forEach(e -> wanted.add(e.id()));
        String topic = options.kafka.topics().name(Topic.FEATURES);
        int[] counts = new int[3];      // taken, other features, malformed
        FeatureCache.Source want = cache.source();
        try (var consumer = TopicReplay.consumer(options.kafka.settings(), options.kafka.topics(), "train-features")) {
            TopicReplay.fromBeginning(consumer, topic, r -> {
                if (!wanted.contains(r.key()) || cache.contains(r.key())) {
                    return;
                }
                try {
                    FeatureFrame f = FeatureFrame.CODEC.fromRecord(r);
                    if (want.accepts(f.encoderModel(), f.modality().wireName(), f.layer(), f.keepCls(),
                            f.features().dim(0), f.features().dim(1))) {
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
        err.printf("%s: %d %s taken into the feature cache, %d skipped as other features (encoder, modality, layer, CLS "
                + "or shape), %d malformed%n", topic, counts[0], options.audio() ? "clips" : "images", counts[1], counts[2]);
    }

    Qwen3Captioner loadLlm() {
        return options.llmSpec().open(HubEnvironment.fromSystem(), new DownloadProgress(err));
    }

    /** The spec of a new adapter of {@code strategy} for the cached features and {@code lm}. */
    static AdapterSpec spec(String id, String strategy, Map<String, Integer> strategyOptions, FeatureCache.Source f,
                            Qwen3Captioner lm) {
        AdapterSpec.Vision features = f.modality().equals(Datasets.AUDIO)
                ? AdapterSpec.Vision.audio(f.model(), f.revision(), f.layer(), f.tokens(), f.dim())
                : AdapterSpec.Vision.image(f.model(), f.revision(), f.layer(), f.keepCls(), f.tokens(), f.dim());
        return AdapterSpec.builder(strategy, features,
                        new AdapterSpec.Llm(lm.modelId(), lm.revision(), lm.hiddenSize()))
                .id(id).options(strategyOptions).build();
    }

    /** Trains with a progress bar (loss, learning rate, tokens/s) and a line per epoch. */
    TrainingHistory train(Adapter adapter, Qwen3Captioner lm, Prepared data, Path out, boolean resume, NDManager manager,
                          String task) {
        AdapterTrainer trainer = new AdapterTrainer(lm.model(), lm.tokenizer(), manager);
        ProgressBar[] bar = new ProgressBar[1];
        try {
            return trainer.train(adapter, data.features(), data.train(), data.validation(), options.settings(), out, resume,
                    new TrainingListener() {
                        @Override
                        public void onStep(int step, int total, double loss, double lr, double tokensPerSecond) {
                            if (bar[0] == null) {
                                bar[0] = Progress.bar(task, total);
                            }
                            if (bar[0] != null) {
                                bar[0].stepTo(step);
                                bar[0].setExtraMessage(String.format(Locale.ROOT, "loss %.3f lr %.1e %.0f tok/s", loss, lr,
                                        tokensPerSecond));
                            }
                        }

                        @Override
                        public void onSkippedStep(int step, String what) {
                            err.println("step " + step + " skipped: " + what + " (nothing of it applied)");
                            err.flush();
                        }

                        @Override
                        public void onEpoch(int epoch, double trainLoss, double validationLoss, boolean best) {
                            String line = String.format(Locale.ROOT, "epoch %d: train loss %.4f, validation loss %.4f%s",
                                    epoch, trainLoss, validationLoss, best ? " (best, saved)" : "");
                            if (bar[0] != null) {
                                bar[0].setExtraMessage(line);
                            }
                            err.println(line);
                            err.flush();
                        }
                    });
        } finally {
            if (bar[0] != null) {
                bar[0].close();
            }
        }
    }
}
