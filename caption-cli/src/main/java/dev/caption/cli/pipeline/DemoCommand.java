package dev.caption.cli.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.caption.broker.BrokerSecurity;
import dev.caption.broker.LocalKafkaBroker;
import dev.caption.cli.CaptionCommand;
import dev.caption.cli.DownloadProgress;
import dev.caption.cli.ImageInputs;
import dev.caption.cli.ReferenceFiles;
import dev.caption.cli.SyntheticWorld;
import dev.caption.cli.streams.LocalBrokers;
import dev.caption.cli.streams.Publisher;
import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.PipelineRole;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.Caption;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.References;
import dev.caption.core.message.Score;
import ai.djl.ndarray.NDManager;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.hub.CheckpointResolver;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.hub.ModelRef;
import dev.caption.nn.qwen3.Qwen3Config;
import dev.caption.nn.shapes.ShapesWorld;
import dev.caption.nn.tones.TonesWorld;
import dev.caption.nn.whisper.WhisperAudioEncoder;
import dev.caption.nn.whisper.WhisperConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The whole product on one machine: a real local broker, the four services as separate JVMs (as deployed), the
 * images and references published, captions and BERTScores shown as they stream, then a summary.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the whole pipeline locally: a Kafka broker and the four services, images in, captions out.",
            "The broker and the services (encoder, adapter, llm, eval) run as separate processes. It publishes",
            "images with their reference captions, shows the captions and BERTScores live, then a summary: count,",
            "mean F, per-stage latency p50/p95.",
            "--synthetic runs the pipeline on the synthetic shapes world, offline: a random tiny CLIP, a tiny Qwen3",
            "trained on the world's captions and the shipped adapter trained between them. It captions held-out",
            "shapes-world images, and says of each caption whether it names the right colour and shape.",
            "--audio adds the audio path: a second encoder-service (modality audio, Whisper) and the audio adapter served",
            "beside the image one; with --synthetic it also publishes tones-world clips (their captions are noise)."})
public final class DemoCommand extends CaptionCommand {

    @Parameters(paramLabel = "IMAGE", arity = "0..*",
            description = "Images or directories (default: samples/images, or with --synthetic held-out shapes-world images).")
    List<String> images;

    @Option(names = "--references", paramLabel = "FILE",
            description = "Reference captions (default: those of the default images).")
    Path references;

    @Option(names = "--synthetic", description = "The synthetic shapes world's models: runs anywhere, offline.")
    boolean synthetic;

    @Option(names = "--clip", defaultValue = "openai/clip-vit-base-patch32", paramLabel = "HF-ID|DIR") String clip;
    @Option(names = "--llm", defaultValue = "Qwen/Qwen3-0.6B", paramLabel = "HF-ID|DIR") String llm;
    @Option(names = "--adapter", paramLabel = "DIR", description = "Trained adapter (default: ~/.caption/adapter).") Path adapter;
    @Option(names = "--bertscore-model", defaultValue = "roberta-large", paramLabel = "HF-ID|DIR") String bertModel;
    @Option(names = "--bertscore-layer", paramLabel = "L") Integer bertLayer;
    @Option(names = "--device", defaultValue = "cpu", description = "Device of the llm-service (cpu, cuda:N).") String device;
    @Option(names = "--timeout", defaultValue = "PT10M", description = "Give up waiting for results after this (default: ${DEFAULT-VALUE}).")
    Duration timeout;
    @Option(names = "--keep-running", description = "Keep the broker and services up afterwards (Ctrl-C stops them).")
    boolean keepRunning;
    @Option(names = "--audio", description = {"Also run the audio path: an audio encoder and an audio adapter. With",
        "--synthetic: the bundled whisper-tiny (random) and an untrained conv adapter, and " + AUDIO_CLIPS + " tones-world",
        "clips published beside the images; otherwise give --audio-adapter and audio files (WAV, FLAC) as inputs."})
    boolean audio;
    @Option(names = "--audio-encoder", defaultValue = "openai/whisper-base", paramLabel = "HF-ID|DIR") String audioEncoder;
    @Option(names = "--audio-adapter", paramLabel = "DIR", description = "Trained audio adapter (with --audio, not --synthetic).")
    Path audioAdapter;
    @Option(names = "--secure", description = {"Run on a secured broker (SASL_SSL, SCRAM-SHA-512, ACLs): each service,",
        "the publisher and the reader log in as their own user with least privilege."})
    boolean secure;

    /** Tones-world clips the synthetic audio path publishes. */
    static final int AUDIO_CLIPS = 3;

    private String label = "demo";
    /** Ids of the synthetic audio clips, whose captions are labelled as noise. */
    private final Set<String> noiseIds = new HashSet<>();

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("caption.home", ".")).toAbsolutePath().normalize();
        Path work = Files.createDirectories(Path.of(System.getProperty("user.home"), ".caption", "demo",
                Long.toString(System.currentTimeMillis())));
        label = synthetic ? "demo [synthetic]" : "demo";
        LocalPipeline.Models models = synthetic ? syntheticModels() : realModels();
        List<String> inputs = images;
        Path refs = references;
        if (inputs == null || inputs.isEmpty()) {
            Path samples = synthetic ? SyntheticWorld.models().samples() : home.resolve("samples");
            if (!Files.isDirectory(samples.resolve("images"))) {
                throw new IllegalArgumentException("no images given and no sample images in " + samples);
            }
            inputs = List.of(samples.resolve("images").toString());
            if (refs == null) {
                refs = Files.isRegularFile(samples.resolve("references.jsonl")) ? samples.resolve("references.jsonl")
                        : samples.resolve("captions.txt");
            }
        } else if (synthetic) {
            say("note: the synthetic models know only the shapes world (one red, green, blue, yellow, purple or orange "
                    + "circle, square or triangle on white, black or gray); other images get captions of that world");
        }
        List<References> audioRefs = new ArrayList<>();
        if (audio) {
            inputs = new ArrayList<>(inputs);
            models = models.withAudio(synthetic ? syntheticAudio(work, inputs, audioRefs) : realAudio());
        }
        LocalPipeline.requireBuilt(home);

        say("starting a local Kafka broker (KRaft, single node" + (secure ? ", SASL_SSL with ACLs" : "") + ")");
        // a secured broker keeps its data (and the users' client files) beside the service logs; a plaintext one
        // runs in a temporary directory
        LocalKafkaBroker.Builder builder = LocalBrokers.builder(secure);
        if (secure) {
            builder.dataDir(work.resolve("kafka"));
        }
        try (LocalKafkaBroker broker = builder.build().start()) {
            Topics topics = Topics.defaults();
            LocalBrokers.prepare(broker, topics, true);
            if (secure) {
                say("each service, the publisher and the reader log in as their own user (client files in "
                        + broker.security().orElseThrow().clientConfigFile(BrokerSecurity.ADMIN).getParent() + ")");
            }
            KafkaSettings settings = LocalBrokers.settings(broker, PipelineRole.PUBLISHER.defaultUser());
            KafkaSettings reader = LocalBrokers.settings(broker, PipelineRole.READER.defaultUser());
            try (LocalPipeline pipeline = LocalPipeline.start(home, work, broker, models, device,
                    Map.of(), this::say)) {
                say("web page: " + pipeline.webUrl() + " (drop images there to caption them"
                        + (keepRunning ? ")" : "; --keep-running keeps it up after the demo)"));
                List<References> refList = new ArrayList<>(refs == null ? List.of() : ReferenceFiles.read(refs));
                refList.addAll(audioRefs);
                Publisher.Result published;
                int refCount;
                try (Publisher publisher = new Publisher(settings, topics)) {
                    refCount = publisher.publishReferences(refList);
                    published = publisher.publishImages(ImageInputs.expand(inputs), Publisher.IdFrom.PATH, interactive());
                }
                say(published.summary(refCount));
                Map<String, List<String>> refsById = new HashMap<>();
                refList.forEach(r -> refsById.put(r.id(), r.references()));
                watch(reader, topics, published.ids(), refsById);
                if (keepRunning) {
                    say("broker on " + broker.bootstrapServers() + ", services up (logs in " + work + "), web page on "
                            + pipeline.webUrl() + "; Ctrl-C stops them");
                    CountDownLatch forever = new CountDownLatch(1);
                    Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
                    forever.await();
                }
                say("stopping the services");
            }
        }
        return 0;
    }

    /** Prints captions, scores and dead letters as they arrive, until every image is accounted for. */
    private void watch(KafkaSettings settings, Topics topics, List<String> ids, Map<String, List<String>> refs) {
        Map<String, Object> c = new LinkedHashMap<>(settings.clientConfig());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.GROUP_ID_CONFIG, PipelineRole.READER_GROUP_PREFIX + "demo-" + System.nanoTime());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Set<String> pending = new HashSet<>(ids);
        Set<String> unscored = new HashSet<>();
        Map<String, Caption> captions = new HashMap<>();
        Map<String, Score> scores = new HashMap<>();
        Map<String, Long> scoredAt = new HashMap<>();
        Map<String, ShapesWorld.Verdict> verdicts = new HashMap<>();
        int dead = 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.name(Topic.CAPTIONS), topics.name(Topic.SCORES), topics.name(Topic.DLQ)));
            while ((!pending.isEmpty() || !unscored.isEmpty()) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(topics.name(Topic.CAPTIONS))) {
                        Caption cap = Caption.CODEC.fromRecord(r);
                        captions.put(cap.id(), cap);
                        Optional<ShapesWorld.Scene> scene = noiseIds.contains(cap.id()) ? Optional.empty()
                                : Optional.ofNullable(refs.get(cap.id())).flatMap(ShapesWorld::sceneOf);
                        String verdict = noiseIds.contains(cap.id()) ? "  [audio: noise]" : scene.map(sc -> {
                            ShapesWorld.Verdict v = ShapesWorld.judge(sc, cap.text());
                            verdicts.put(cap.id(), v);
                            return v.right() ? "  [right]" : "  [" + v.label() + ": it is a " + sc.colour().word() + " "
                                    + sc.shape().word() + "]";
                        }).orElse("");
                        say(String.format("caption  %-18s %s%s", cap.id(), cap.text().replaceAll("\\s+", " "), verdict));
                        if (pending.remove(cap.id()) && refs.containsKey(cap.id())) {
                            unscored.add(cap.id());
                        }
                    } else if (r.topic().equals(topics.name(Topic.SCORES))) {
                        Score s = Score.CODEC.fromRecord(r);
                        scores.put(s.id(), s);
                        scoredAt.put(s.id(), r.timestamp());
                        unscored.remove(s.id());
                        say(String.format(Locale.ROOT, "score    %-18s P %.4f  R %.4f  F %.4f", s.id(), s.precision(), s.recall(), s.f1()));
                    } else {
                        dead++;
                        pending.remove(r.key());
                        unscored.remove(r.key());
                        say(String.format("dead     %-18s %s (%s)", r.key(), CaptionHeaders.get(r.headers(), CaptionHeaders.DLQ_REASON),
                                CaptionHeaders.get(r.headers(), CaptionHeaders.DLQ_STAGE)));
                    }
                }
            }
        }
        summary(ids.size(), captions, scores, scoredAt, verdicts, dead, pending.size() + unscored.size());
    }

    private void summary(int published, Map<String, Caption> captions, Map<String, Score> scores, Map<String, Long> scoredAt,
                         Map<String, ShapesWorld.Verdict> verdicts, int dead, int missing) {
        say("summary: " + count(published - noiseIds.size(), "image") + (noiseIds.isEmpty() ? "" : ", "
                + count(noiseIds.size(), "audio clip")) + ", " + count(captions.size(), "caption") + ", " + scores.size()
                + " scored, " + count(dead, "dead letter") + (missing > 0 ? ", " + missing + " still missing at the timeout" : ""));
        List<String> quality = new ArrayList<>();
        if (!scores.isEmpty()) {
            // the audio clips' noise captions are scored apart, so that they do not drag the images' mean down
            java.util.OptionalDouble images = scores.values().stream().filter(s -> !noiseIds.contains(s.id()))
                    .mapToDouble(Score::f1).average();
            java.util.OptionalDouble clips = scores.values().stream().filter(s -> noiseIds.contains(s.id()))
                    .mapToDouble(Score::f1).average();
            if (images.isPresent()) {
                quality.add(String.format(Locale.ROOT, "mean BERTScore F %.4f", images.getAsDouble()));
            }
            if (clips.isPresent()) {
                quality.add(String.format(Locale.ROOT, "audio (noise) mean BERTScore F %.4f", clips.getAsDouble()));
            }
        }
        if (!verdicts.isEmpty()) {
            long right = verdicts.values().stream().filter(ShapesWorld.Verdict::right).count();
            quality.add("right: " + right + "/" + verdicts.size());
        }
        if (!quality.isEmpty()) {
            say("summary: " + String.join(", ", quality));
        }
        Map<String, List<Long>> latency = new LinkedHashMap<>();
        for (Caption cap : captions.values()) {
            Map<String, Long> t = cap.timings();
            // an audio clip's first stage is the audio encoder
            String encoder = t.containsKey(LocalPipeline.AUDIO_ENCODER) ? LocalPipeline.AUDIO_ENCODER : "encoder";
            add(latency, encoder, t.get("submit"), t.get(encoder));
            add(latency, "adapter", t.get(encoder), t.get("adapter"));
            add(latency, "llm", t.get("adapter"), t.get("llm"));
            add(latency, "eval", t.get("llm"), scoredAt.get(cap.id()));
            add(latency, "end to end", t.get("submit"), scoredAt.getOrDefault(cap.id(), t.get("llm")));
        }
        say(String.format("%-12s %8s %8s %6s", "stage", "p50 ms", "p95 ms", "n"));
        latency.forEach((stage, xs) -> {
            xs.sort(null);
            say(String.format(Locale.ROOT, "%-12s %8d %8d %6d", stage, percentile(xs, 0.50), percentile(xs, 0.95), xs.size()));
        });
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private static void add(Map<String, List<Long>> latency, String stage, Long from, Long to) {
        if (from != null && to != null) {
            latency.computeIfAbsent(stage, k -> new ArrayList<>()).add(to - from);
        }
    }

    private static long percentile(List<Long> sorted, double q) {
        return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1));
    }

    /** The real models, resolved (downloaded where the hub is reachable); what is missing is said, with the way to get it. */
    private LocalPipeline.Models realModels() {
        Path adapterDir = adapter != null ? adapter : Path.of(System.getProperty("user.home"), ".caption", "adapter");
        List<String> missing = new ArrayList<>();
        CheckpointResolver resolver = new CheckpointResolver(HubEnvironment.fromSystem(), new DownloadProgress(err()));
        for (String[] m : new String[][] {{clip, "preprocessor_config.json"}, {llm, "tokenizer.json"}, {bertModel, "tokenizer.json"}}) {
            try {
                resolver.resolve(ModelRef.parse(m[0], null), List.of(m[1]));
            } catch (RuntimeException e) {
                missing.add(m[0] + ": " + e.getMessage());
            }
        }
        if (!Files.isRegularFile(adapterDir.resolve(AdapterSpec.JSON))) {
            missing.add("adapter: none at " + adapterDir + "; train one with ./caption train --data <Flickr8k or COCO> "
                    + "--out <dir> and pass --adapter <dir>/best (or copy it to " + adapterDir + ")");
        } else {
            AdapterSpec spec = AdapterSpec.read(adapterDir);
            if (!ModelRef.sameModel(spec.vision().model(), clip) || !ModelRef.sameModel(spec.llm().model(), llm)) {
                missing.add("adapter " + spec.id() + " was trained for " + spec.vision().model() + " -> " + spec.llm().model()
                        + ", not " + clip + " -> " + llm);
            }
        }
        if (!missing.isEmpty()) {
            err().println("demo: the models are not all available here:");
            missing.forEach(m -> err().println("  - " + m));
            err().println("demo: set HF_HOME/HF_HUB_CACHE to a cache that has them, pass local directories "
                    + "(--clip, --llm, --bertscore-model, --adapter), or run ./caption demo --synthetic");
            throw new IllegalArgumentException(missing.size() + " of the demo's models are missing (listed above); "
                    + "./caption demo --synthetic runs without them");
        }
        return new LocalPipeline.Models(clip, llm, adapterDir, bertModel, Optional.ofNullable(bertLayer), Optional.empty());
    }

    /**
     * The synthetic audio path: the bundled whisper-tiny, an untrained conv adapter into qwen3-shapes written under
     * {@code work}, and {@value #AUDIO_CLIPS} tones-world clips added to {@code inputs} with their references.
     */
    private LocalPipeline.Audio syntheticAudio(Path work, List<String> inputs, List<References> refs) throws IOException {
        SyntheticWorld.Models m = SyntheticWorld.models();
        Path adapterDir = work.resolve("tones-adapter");
        // sizes from the checkpoints' configs: the encoder's output positions and width, the LLM's hidden size
        WhisperConfig whisper = WhisperConfig.read(m.audioEncoder().resolve("config.json"));
        Qwen3Config qwen3 = Qwen3Config.read(m.llm().resolve("config.json"));
        AdapterSpec spec = AdapterSpec.builder("conv", AdapterSpec.Vision.audio(m.audioEncoder().toString(), "local",
                        WhisperAudioEncoder.LAST_HIDDEN_STATE, whisper.maxSourcePositions(), whisper.dModel()),
                new AdapterSpec.Llm(m.llm().toString(), "local", qwen3.hiddenSize())).id("tones-untrained").build();
        try (NDManager manager = NDManager.newBaseManager(); Adapter a = Adapter.create(spec, manager, 1)) {
            a.save(adapterDir, spec);
        }
        Path clips = Files.createDirectories(work.resolve("tones"));
        for (TonesWorld.Sample sample : TonesWorld.generate(AUDIO_CLIPS, 2026)) {
            Path file = clips.resolve(sample.id() + ".wav");
            Files.write(file, sample.wav());
            inputs.add(file.toString());
            refs.add(new References(sample.id(), sample.captions()));
            noiseIds.add(sample.id());
        }
        say("audio: whisper-tiny (a random Whisper) and an untrained conv adapter; qwen3-shapes speaks only the shapes "
                + "world, so the " + AUDIO_CLIPS + " tones-world clips get noise captions: this shows audio going through "
                + "the pipeline, not audio captioning");
        return new LocalPipeline.Audio(m.audioEncoder().toString(), adapterDir);
    }

    /** The real audio path: a Whisper checkpoint and a trained audio adapter for it. */
    private LocalPipeline.Audio realAudio() {
        if (audioAdapter == null || !Files.isRegularFile(audioAdapter.resolve(AdapterSpec.JSON))) {
            throw new IllegalArgumentException("--audio needs --audio-adapter DIR (an audio adapter: ./caption train "
                    + "--modality audio --data <AudioCaps> --out <dir>, then <dir>/best), or --synthetic");
        }
        AdapterSpec spec = AdapterSpec.read(audioAdapter);
        if (!spec.vision().audio() || !ModelRef.sameModel(spec.vision().model(), audioEncoder)) {
            throw new IllegalArgumentException("--audio-adapter " + audioAdapter + " is a " + spec.vision().modality()
                    + " adapter for " + spec.vision().model() + ", not an audio adapter for " + audioEncoder);
        }
        return new LocalPipeline.Audio(audioEncoder, audioAdapter);
    }

    /** The shapes world's models, unpacked from the caption-models jar. */
    private LocalPipeline.Models syntheticModels() {
        LocalPipeline.Models m = LocalPipeline.Models.synthetic();
        say("models: clip-tiny (a random CLIP), qwen3-shapes (a tiny Qwen3 trained on the shapes world's captions) and "
                + "the shipped shapes adapter between them; roberta-tiny for BERTScore. They caption the synthetic shapes "
                + "world only: this shows the pipeline working end to end, not a photo captioner");
        return m;
    }

    private void say(String line) {
        out().println(label + ": " + line);
        out().flush();
    }
}
