package dev.caption.cli.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import ai.djl.ndarray.NDManager;
import dev.caption.broker.CommittedRecords;
import dev.caption.broker.LocalKafkaBroker;
import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.Caption;
import dev.caption.core.message.References;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.bert.BertScorer;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.nn.clip.ClipSpec;
import dev.caption.nn.bert.BertScoreSpec;
import dev.caption.nn.qwen3.Qwen3Spec;
import dev.caption.image.ImageDecoder;
import dev.caption.image.RgbImage;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Decoding;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.shapes.ShapesDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.caption.cli.SyntheticWorld;
import dev.caption.cli.ImageInputs;
import dev.caption.cli.streams.Publisher;
import dev.caption.cli.pipeline.LocalPipeline;
import dev.caption.cli.pipeline.ServiceProcess;
import dev.caption.cli.CaptionCommand;

/**
 * Images/s and latency through the four services on the local broker, against the same models chained in one
 * process without Kafka; the ratio is Kafka's overhead (transactions, serialization, hops, batching waits).
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = {"Images/s and latency through the four services on a local broker, against one process.",
            "The same models chained in-process are the baseline. The shapes world's small models by default;",
            "--clip/--llm/--adapter/--bertscore-model point at other checkpoints. Reports the Kafka overhead as a ratio."})
public final class BenchPipelineCommand extends CaptionCommand {

    @Option(names = "--images", defaultValue = "64") int images;
    @Option(names = "--batch", defaultValue = "16", description = "max-batch of every stage, and the in-process batch.") int batch;
    @Option(names = "--max-new-tokens", defaultValue = "32") int maxNewTokens;
    @Option(names = "--max-wait", defaultValue = "PT0.05S", paramLabel = "DURATION",
            description = "caption.loop.max-wait of the encoder, adapter and llm services (default: ${DEFAULT-VALUE}).")
    java.time.Duration maxWait;
    @Option(names = "--clip", paramLabel = "DIR") String clip;
    @Option(names = "--llm", paramLabel = "DIR") String llm;
    @Option(names = "--adapter", paramLabel = "DIR") Path adapter;
    @Option(names = "--bertscore-model", paramLabel = "DIR") String bert;
    @Option(names = "--bertscore-layer") Integer bertLayer;
    @Option(names = "--real-size", description = {"Random-weight checkpoints at the real sizes (ViT-B/32, Qwen3-0.6B,",
        "roberta-large L17), written once to ~/.caption/bench-models (about 2.5 GB, bf16)."})
    boolean realSize;

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("caption.home", ".")).toAbsolutePath().normalize();
        Path work = Files.createTempDirectory("bench-pipeline");
        LocalPipeline.Models models = models(home, work);
        LocalPipeline.requireBuilt(home);
        List<ShapesDataset.Sample> samples = ShapesDataset.generate(images + 8, 96, 9);
        out().printf(Locale.ROOT, "bench pipeline: %d images (96x96 PNG), batch %d, %d new tokens, %d threads; models %s%n",
                images, batch, maxNewTokens, Runtime.getRuntime().availableProcessors(), models);
        double[] inProcess = inProcess(models, samples);
        double[] kafka = throughKafka(home, work, models, samples);
        out().printf(Locale.ROOT, "  in-process chain:   %7.2f images/s, latency per image %7.0f ms (its batch)%n",
                inProcess[0], inProcess[1]);
        out().printf(Locale.ROOT, "  four services:      %7.2f images/s, latency p50 %7.0f ms, p95 %7.0f ms (submit to score)%n",
                kafka[0], kafka[1], kafka[2]);
        out().printf(Locale.ROOT, "  Kafka overhead:     %.2fx the in-process time per image%n", inProcess[0] / kafka[0]);
        return 0;
    }

    private LocalPipeline.Models models(Path home, Path work) throws java.io.IOException {
        if (!realSize) {
            LocalPipeline.Models tiny = LocalPipeline.Models.synthetic();
            return new LocalPipeline.Models(clip != null ? clip : tiny.clip(), llm != null ? llm : tiny.llm(),
                    adapter != null ? adapter : tiny.adapter(), bert != null ? bert : tiny.bert(),
                    bert != null ? Optional.ofNullable(bertLayer) : tiny.bertLayer(), Optional.empty());
        }
        Path dir = Path.of(System.getProperty("user.home"), ".caption", "bench-models");
        RealSizeModels.ensure(dir, SyntheticWorld.models(), err());
        String c = dir.resolve("clip-vit-b32").toString();
        String l = dir.resolve("qwen3-0.6b").toString();
        Path a = adapter;
        if (a == null) {
            a = work.resolve("adapter");
            AdapterSpec spec = AdapterSpec.builder("conv", AdapterSpec.Vision.image(c, "local", -2, false, 49, 768),
                    new AdapterSpec.Llm(l, "local", 1024)).id("bench-conv").build();
            try (NDManager m = NDManager.newBaseManager(); Adapter ad = Adapter.create(spec, m, 7)) {
                ad.save(a, spec);
            }
        }
        return new LocalPipeline.Models(c, l, a, dir.resolve("roberta-large").toString(), Optional.of(17), Optional.empty());
    }

    /** The stages in pipeline order: the in-process chain's and the services' (their meters' stage tags). */
    private static final List<String> STAGES = List.of("encoder", "adapter", "llm", "eval");

    /** {images/s, mean batch latency ms}: decode, CLIP, adapter, greedy captions and BERTScore, a batch at a time. */
    private double[] inProcess(LocalPipeline.Models m, List<ShapesDataset.Sample> samples) {
        try (NDManager manager = NDManager.newBaseManager();
             ClipEncoder encoder = ClipSpec.builder(m.clip()).build().open(HubEnvironment.fromSystem(), DownloadListener.NONE);
             Adapter ad = Adapter.load(m.adapter(), manager);
             Qwen3Captioner lm = Qwen3Spec.builder(m.llm()).build().open(HubEnvironment.fromSystem(), DownloadListener.NONE);
             BertScorer scorer = BertScoreSpec.builder(m.bert()).layer(m.bertLayer()).build()
                     .open(HubEnvironment.fromSystem(), DownloadListener.NONE)) {
            ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
            chain(samples.subList(0, 8), decoder, encoder, ad, lm, scorer, new double[STAGES.size()]);     // warm-up
            long start = System.nanoTime();
            double latency = 0;
            double[] stageSeconds = new double[STAGES.size()];
            long captionChars = 0;
            for (int from = 8; from < samples.size(); from += batch) {
                long t0 = System.nanoTime();
                List<ShapesDataset.Sample> b = samples.subList(from, Math.min(samples.size(), from + batch));
                captionChars += chain(b, decoder, encoder, ad, lm, scorer, stageSeconds).stream().mapToInt(String::length).sum();
                latency += (System.nanoTime() - t0) / 1e6 * b.size();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            StringBuilder line = new StringBuilder("  in-process stages:");
            for (int i = 0; i < STAGES.size(); i++) {
                line.append(String.format(Locale.ROOT, " %s %.1f s", STAGES.get(i), stageSeconds[i]));
            }
            // random-weight captions vary in length with their prefixes, and BERTScore's time with them
            out().println(line.append(String.format(Locale.ROOT, " (of %.1f s); captions of %.0f characters on average",
                    seconds, captionChars / (double) images)));
            return new double[] {images / seconds, latency / images};
        }
    }

    /**
     * One batch through the chain; adds each stage's seconds to {@code stageSeconds} (in {@link #STAGES} order) and
     * returns the captions.
     */
    private List<String> chain(List<ShapesDataset.Sample> b, ImageDecoder decoder, ClipEncoder encoder, Adapter ad, Qwen3Captioner lm,
                       BertScorer scorer, double[] stageSeconds) {
        long t0 = System.nanoTime();
        List<RgbImage> imgs = b.stream().map(s -> decoder.decode(s.png())).toList();
        List<float[]> features = encoder.encode(imgs).stream().map(ClipEncoder.Features::values).toList();
        long t1 = System.nanoTime();
        List<float[]> prefixes = ad.project(features);
        long t2 = System.nanoTime();
        List<Qwen3Captioner.Item> items = prefixes.stream()
                .map(p -> Qwen3Captioner.Item.of(ad.spec().prompt(), p, ad.prefixTokens())).toList();
        List<String> captions = lm.generate(items, new Decoding.Greedy(maxNewTokens)).first().stream()
                .map(Qwen3Captioner.Result::text).toList();
        long t3 = System.nanoTime();
        scorer.score(captions, b.stream().map(ShapesDataset.Sample::captions).toList(), scorer.uniform());
        long t4 = System.nanoTime();
        long[] marks = {t0, t1, t2, t3, t4};
        for (int i = 0; i < stageSeconds.length; i++) {
            stageSeconds[i] += (marks[i + 1] - marks[i]) / 1e9;
        }
        return captions;
    }

    /** Each stage's meters, read from its service. */
    private static Map<String, StageMeters> meters(LocalPipeline pipeline) throws Exception {
        Map<String, StageMeters> out = new HashMap<>();
        for (ServiceProcess s : pipeline.services()) {
            String stage = s.name().replace("-service", "");
            if (STAGES.contains(stage)) {
                out.put(stage, StageMeters.parse(s.metrics(), stage));
            }
        }
        return out;
    }

    /** {images/s, p50 ms, p95 ms}: publish, then wait for every score; latency from submit time to score time. */
    private double[] throughKafka(Path home, Path work, LocalPipeline.Models m, List<ShapesDataset.Sample> samples) throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder().build().start()) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers());
            Topics topics = Topics.defaults();
            TopicAdmin.ensure(settings, topics);
            Path dir = Files.createDirectories(work.resolve("images"));
            for (ShapesDataset.Sample s : samples) {
                Files.write(dir.resolve(s.id() + ".png"), s.png());
            }
            try (LocalPipeline pipeline = LocalPipeline.start(home, work, broker, m, "cpu",
                    Map.of("caption.loop.max-batch", Integer.toString(batch), "caption.loop.max-wait", maxWait.toString(),
                            "caption.eval.max-batch", Integer.toString(batch),
                            // one line per batch in each service's log: size, wait in Kafka, collect/process/commit time
                            "quarkus.log.category.\"dev.caption.service.LoopMetrics\".level", "DEBUG",
                            "caption.llm.max-new-tokens", Integer.toString(maxNewTokens)),
                    line -> err().println("bench pipeline: " + line));
                 Publisher publisher = new Publisher(settings, topics)) {
                publisher.publishReferences(samples.stream().map(s -> new References(s.id(), s.captions())).toList());
                publisher.publishImages(ImageInputs.expand(samples.subList(0, 8).stream()
                        .map(s -> dir.resolve(s.id() + ".png").toString()).toList()), Publisher.IdFrom.NAME, false);
                CommittedRecords.read(broker.bootstrapServers(), topics.name(Topic.SCORES), 8, Duration.ofMinutes(10));  // warm-up
                Map<String, StageMeters> before = meters(pipeline);
                long start = System.currentTimeMillis();
                publisher.publishImages(ImageInputs.expand(samples.subList(8, samples.size()).stream()
                        .map(s -> dir.resolve(s.id() + ".png").toString()).toList()), Publisher.IdFrom.NAME, false);
                List<ConsumerRecord<String, byte[]>> scores = CommittedRecords.read(broker.bootstrapServers(),
                        topics.name(Topic.SCORES), images + 8, Duration.ofMinutes(30));
                long end = scores.stream().mapToLong(ConsumerRecord::timestamp).max().orElse(start);
                Map<String, StageMeters> after = meters(pipeline);
                StringBuilder line = new StringBuilder("  service stages (batches, records, seconds processing):");
                for (String stage : STAGES) {
                    StageMeters d = after.getOrDefault(stage, StageMeters.NONE)
                            .since(before.getOrDefault(stage, StageMeters.NONE));
                    line.append(String.format(Locale.ROOT, " %s %d/%d/%.1f s", stage, d.batches(), d.records(),
                            d.processSeconds()));
                }
                Map<String, Long> submitted = new HashMap<>();
                long captionChars = 0;
                // how long the publisher took to hand the timed images over: a spread beyond the encoder's max-wait
                // splits them into more than one batch
                LongSummaryStatistics submits = new LongSummaryStatistics();
                for (ConsumerRecord<String, byte[]> r : CommittedRecords.read(broker.bootstrapServers(),
                        topics.name(Topic.CAPTIONS), images + 8, Duration.ofMinutes(1))) {
                    Caption c = Caption.CODEC.fromRecord(r);
                    Long submit = c.timings().get("submit");
                    submitted.put(c.id(), submit);
                    if (submit != null && submit >= start) {
                        captionChars += c.text().length();
                        submits.accept(submit);
                    }
                }
                // more eval records than images: a batch was scored again (an aborted transaction)
                out().println(line.append(String.format(Locale.ROOT, " (of %.1f s); captions of %.0f characters on "
                        + "average; images submitted over %d ms", (end - start) / 1e3, captionChars / (double) images,
                        submits.getMax() - submits.getMin())));
                List<Long> latency = new ArrayList<>();
                for (ConsumerRecord<String, byte[]> r : scores) {
                    Long t0 = submitted.get(r.key());
                    if (t0 != null && t0 >= start) {
                        latency.add(r.timestamp() - t0);
                    }
                }
                latency.sort(null);
                return new double[] {images / ((end - start) / 1e3), latency.get(latency.size() / 2),
                    latency.get((int) Math.ceil(0.95 * latency.size()) - 1)};
            }
        }
    }
}
