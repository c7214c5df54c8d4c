package dev.caption.cli.models;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.Caption;
import dev.caption.core.message.References;
import dev.caption.core.message.RunMetrics;
import dev.caption.core.message.Score;
import dev.caption.nn.bert.Baseline;
import dev.caption.nn.bert.BertScorer;
import dev.caption.nn.bert.TokenWeights;
import dev.caption.nn.hub.HubEnvironment;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import dev.caption.nn.bert.Prf;
import dev.caption.cli.DownloadProgress;
import dev.caption.cli.KafkaOptions;
import dev.caption.cli.Progress;
import dev.caption.cli.streams.TopicReplay;
import dev.caption.cli.CaptionCommand;
import dev.caption.cli.Formats;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Replay the captions topic offline and score it with BERTScore against the references topic.",
            "Reads with a fresh consumer (read_committed) up to the end offsets captured at start, writes the scores",
            "to caption.scores tagged with --run, and prints count and mean P/R/F with 95%% CI per adapter and model.",
            "The same run over the same range gives the same numbers: captions are scored in offset order."})
public final class EvalCommand extends CaptionCommand {

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--run", required = true, paramLabel = "NAME", description = "Name the scores are tagged with.")
    String run;

    @ArgGroup(exclusive = true)
    Start start = new Start();

    static final class Start {
        @Option(names = "--from-beginning", description = "Replay every retained caption (the default).")
        boolean beginning;

        @Option(names = "--from-time", paramLabel = "ISO-8601", description = "Replay captions from this time, e.g. 2026-11-22T08:00:00Z.")
        String time;

        @Option(names = "--from-offsets", paramLabel = "P:O[,P:O...]", split = ",",
                description = "Replay from these offsets of the captions partitions (others from the beginning).")
        List<String> offsets;
    }

    @Option(names = "--until-end", description = "Stop at the end offsets captured at start (always the case; accepted for clarity).")
    boolean untilEnd;

    @Option(names = "--only-adapter", paramLabel = "ID", description = "Score only captions made with this adapter.")
    String onlyAdapter;

    @Option(names = "--only-model", paramLabel = "ID", description = "Score only captions made by this LLM.")
    String onlyModel;

    @Mixin
    BertScoreOptions scoring;

    @Option(names = "--idf", description = "idf weights over the references of the replayed captions.")
    boolean idf;

    @Option(names = "--no-write", description = "Only print; do not write the scores to caption.scores.")
    boolean noWrite;

    private static final int CHUNK = 64;

    @Override
    public Integer call() {
        KafkaSettings settings = kafka.settings();
        Topics topics = kafka.topics();
        Map<String, References> refs = new HashMap<>();
        List<Caption> captions = new ArrayList<>();
        int[] malformed = new int[1];
        try (KafkaConsumer<String, byte[]> consumer = TopicReplay.consumer(settings, topics, "eval-" + run)) {
            readTable(consumer, topics.name(Topic.REFERENCES), refs, malformed);
            readCaptions(consumer, topics.name(Topic.CAPTIONS), captions, malformed);
        }
        List<Caption> scorable = new ArrayList<>();
        int missing = 0;
        for (Caption c : captions) {
            if ((onlyAdapter == null || onlyAdapter.equals(c.adapter())) && (onlyModel == null || onlyModel.equals(c.model()))) {
                if (refs.containsKey(c.id())) {
                    scorable.add(c);
                } else {
                    missing++;
                }
            }
        }
        err().printf(Locale.ROOT, "eval %s: %d captions in range, %d to score, %d without references, %d malformed records skipped%n",
                run, captions.size(), scorable.size(), missing, malformed[0]);
        if (scorable.isEmpty()) {
            throw new IllegalArgumentException("nothing to score: no caption in range has references on "
                    + topics.name(Topic.REFERENCES));
        }
        Map<String, RunMetrics> table = new TreeMap<>();
        try (BertScorer scorer = scoring.open(err());
             KafkaProducer<String, byte[]> producer = noWrite ? null : producer(settings);
             ProgressBar bar = Progress.bar("eval " + run, scorable.size())) {
            List<List<String>> allRefs = scorable.stream().map(c -> refs.get(c.id()).references()).toList();
            TokenWeights weights = idf ? scorer.idf(allRefs) : scorer.uniform();
            String scorerId = scorer.id(idf);
            for (int from = 0; from < scorable.size(); from += CHUNK) {
                int to = Math.min(scorable.size(), from + CHUNK);
                List<Caption> chunk = scorable.subList(from, to);
                List<Prf> prf = scorer.score(chunk.stream().map(Caption::text).toList(), allRefs.subList(from, to), weights);
                for (int i = 0; i < chunk.size(); i++) {
                    Caption c = chunk.get(i);
                    Score s = new Score(c.id(), run, c.model(), c.adapter(), scorerId, prf.get(i).p(), prf.get(i).r(),
                            prf.get(i).f(), c.text(), allRefs.get(from + i));
                    table.merge(RunMetrics.keyOf(s), RunMetrics.NONE.plus(s, 0), (a, b) -> a.plus(s, 0));
                    if (producer != null) {
                        producer.send(Score.CODEC.toRecord(topics.name(Topic.SCORES), s));
                    }
                }
                if (bar != null) {
                    bar.stepTo(to);
                } else {
                    err().printf(Locale.ROOT, "eval %s: scored %d/%d%n", run, to, scorable.size());
                }
            }
            if (producer != null) {
                producer.flush();
            }
        }
        printTable(table);
        return 0;
    }

    private void printTable(Map<String, RunMetrics> table) {
        // columns sized to the data, so that a model given as a long path keeps the table aligned
        int adapterWidth = Math.max("adapter".length(), table.values().stream().mapToInt(m -> orDash(m.adapter()).length()).max().orElse(0));
        int modelWidth = Math.max("model".length(), table.values().stream().mapToInt(m -> orDash(m.model()).length()).max().orElse(0));
        String row = "%-" + adapterWidth + "s  %-" + modelWidth + "s  %6s  %-18s %-18s %-18s%n";
        out().printf(Locale.ROOT, row, "adapter", "model", "count", "P (95% CI)", "R (95% CI)", "F (95% CI)");
        for (RunMetrics m : table.values()) {
            out().printf(Locale.ROOT, row, orDash(m.adapter()), orDash(m.model()), Long.toString(m.count()),
                    Formats.meanCi(m.precision()), Formats.meanCi(m.recall()), Formats.meanCi(m.f1()));
        }
    }

    private static String orDash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    private static KafkaProducer<String, byte[]> producer(KafkaSettings settings) {
        Map<String, Object> p = new LinkedHashMap<>(settings.clientConfig());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** The latest reference list per id, as compaction keeps it (a null value deletes). */
    private static void readTable(KafkaConsumer<String, byte[]> consumer, String topic, Map<String, References> out,
                                  int[] malformed) {
        TopicReplay.fromBeginning(consumer, topic, r -> {
            if (r.value() == null) {
                out.remove(r.key());
                return;
            }
            try {
                References refs = References.CODEC.fromRecord(r);
                out.put(refs.id(), refs);
            } catch (RuntimeException e) {
                malformed[0]++;
            }
        });
    }

    private void readCaptions(KafkaConsumer<String, byte[]> consumer, String topic, List<Caption> out, int[] malformed) {
        List<TopicPartition> parts = TopicReplay.partitions(consumer, topic);
        consumer.assign(parts);
        Map<TopicPartition, Long> end = consumer.endOffsets(parts);
        consumer.seekToBeginning(parts);
        if (start.time != null) {
            long ts;
            try {
                ts = Instant.parse(start.time).toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("--from-time must be ISO-8601 like 2026-11-22T08:00:00Z, got " + start.time);
            }
            Map<TopicPartition, Long> query = new HashMap<>();
            parts.forEach(p -> query.put(p, ts));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
            for (TopicPartition p : parts) {
                OffsetAndTimestamp o = found.get(p);
                consumer.seek(p, o == null ? end.get(p) : o.offset());
            }
        } else if (start.offsets != null) {
            for (String spec : start.offsets) {
                String[] po = spec.split(":");
                try {
                    consumer.seek(new TopicPartition(topic, Integer.parseInt(po[0].trim())), Long.parseLong(po[1].trim()));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("--from-offsets takes PARTITION:OFFSET pairs of existing partitions, got '"
                            + spec + "'");
                }
            }
        }
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        TopicReplay.drain(consumer, end, records::add);
        // offset order per partition, partitions in order: the same range always scores in the same order
        records.sort(Comparator.comparingInt((ConsumerRecord<String, byte[]> r) -> r.partition())
                .thenComparingLong(ConsumerRecord::offset));
        for (ConsumerRecord<String, byte[]> r : records) {
            try {
                out.add(Caption.CODEC.fromRecord(r));
            } catch (RuntimeException e) {
                malformed[0]++;
            }
        }
    }
}
