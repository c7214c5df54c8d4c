package dev.caption.eval;

import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.DeadLetter;
import dev.caption.core.message.References;
import dev.caption.core.message.RunMetrics;
import dev.caption.core.message.Score;

/**
 * The eval-service topology: captions scored against references with BERTScore, scores and running aggregates out.
 *
 * <pre>
 * caption.references ─► ReferenceArrivals ─┐   stores: references (latest list per id: the KTable),
 *                                          │           waiting (captions whose references have not arrived),
 * caption.captions ──► CaptionScoring ─────┤           pending (captions with references, awaiting a batch)
 *                                          ├─► caption.scores ─► group by (run, adapter, model) ─► runs ─► caption.metrics
 *                                          └─► caption.dlq (malformed records, reason in headers)
 * </pre>
 *
 * <p><b>Join semantics.</b> A KStream–KTable lookup with a retry store: a caption is scored once, against the
 * latest reference list of its id at scoring time. A caption whose references have not arrived waits in
 * {@code waiting} and is scored when they do, however late. A reference update after a caption was scored does not
 * re-score it. Both topics must be co-partitioned (same partition count, keyed by image id), since one task owns
 * an id's references and captions; TopicAdmin checks this.
 *
 * <p><b>Batching.</b> Captions with references collect in {@code pending} and are scored {@code maxBatch} at a time,
 * when that many are pending or once the oldest has waited {@code maxWait} (wall clock), so the model sees many
 * sentences per call. The wait is checked only while a task has pending captions: under exactly-once each check
 * would otherwise commit a transaction every commit interval on an idle service. Batches form per task
 * (partition), and a call with room left takes in the captions pending in the other tasks of its stream thread,
 * each task forwarding its own scores ({@link CaptionScoring}). All stores are changelogged and the app runs with
 * exactly_once_v2: a crash replays from the last commit without losing or duplicating a score.
 */
public final class EvalTopology {

    public static final String REFERENCES_STORE = "references";
    public static final String WAITING_STORE = "waiting";
    public static final String PENDING_STORE = "pending";
    public static final String RUNS_STORE = "runs";
    static final String STAGE = "eval";

    /** Topic names, batch limits and the stage name written into dead letters. */
    public record Settings(Topics topics, int maxBatch, Duration maxWait) {
        public Settings {
            if (maxBatch < 1) {
                throw new IllegalArgumentException("max-batch must be at least 1, got " + maxBatch);
            }
        }
    }

    private EvalTopology() {
    }

    public static Topology build(Settings settings, BatchScorer scorer) {
        return build(settings, scorer, dead -> { });
    }

    /**
     * The topology, telling {@code deadLetters} of each record it dead-letters (for the log and the counter; after
     * a crash, a replayed record may be told twice, while the DLQ itself holds it once).
     */
    public static Topology build(Settings settings, BatchScorer scorer, Consumer<DeadLetter> deadLetters) {
        Topics topics = settings.topics();
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(REFERENCES_STORE),
                Serdes.String(), References.CODEC.serde()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WAITING_STORE),
                Serdes.String(), Pending.SERDE));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_STORE),
                Serdes.String(), Pending.SERDE));
        Consumed<String, byte[]> raw = Consumed.with(Serdes.String(), Serdes.ByteArray());
        ScoringTasks tasks = new ScoringTasks();

        KStream<String, Outcome> fromReferences = builder.stream(topics.name(Topic.REFERENCES), raw.withName("references-source"))
                .process(() -> new ReferenceArrivals(topics.name(Topic.DLQ), tasks), Named.as("reference-arrivals"),
                        REFERENCES_STORE, WAITING_STORE, PENDING_STORE);
        KStream<String, Outcome> fromCaptions = builder.stream(topics.name(Topic.CAPTIONS), raw.withName("captions-source"))
                .process(() -> new CaptionScoring(settings, scorer, tasks), Named.as("caption-scoring"),
                        REFERENCES_STORE, WAITING_STORE, PENDING_STORE);

        Map<String, KStream<String, Outcome>> branches = fromReferences.merge(fromCaptions, Named.as("outcomes"))
                .split(Named.as("outcome-"))
                .branch((id, o) -> o instanceof Outcome.Dead, Branched.as("dead"))
                .defaultBranch(Branched.as("scored"));
        branches.get("outcome-dead").peek((id, o) -> deadLetters.accept(((Outcome.Dead) o).letter()), Named.as("dead-letter-report"))
                .mapValues(o -> ((Outcome.Dead) o).letter().value(), Named.as("dead-letter-value"))
                .to(topics.name(Topic.DLQ), Produced.with(Serdes.String(), Serdes.ByteArray()).withName("dlq-sink"));
        KStream<String, Score> scores = branches.get("outcome-scored")
                .mapValues(o -> ((Outcome.Scored) o).score(), Named.as("score-value"));
        scores.to(topics.name(Topic.SCORES), Produced.with(Serdes.String(), Score.CODEC.serde()).withName("scores-sink"));

        scores.groupBy((id, s) -> RunMetrics.keyOf(s), Grouped.with("by-run", Serdes.String(), Score.CODEC.serde()))
                .aggregate(() -> RunMetrics.NONE, (run, s, agg) -> agg.plus(s, System.currentTimeMillis()),
                        Named.as("run-aggregates"),
                        Materialized.<String, RunMetrics, KeyValueStore<Bytes, byte[]>>as(RUNS_STORE)
                                .withKeySerde(Serdes.String()).withValueSerde(RunMetrics.CODEC.serde()))
                .toStream(Named.as("run-updates"))
                .to(topics.name(Topic.METRICS), Produced.with(Serdes.String(), RunMetrics.CODEC.serde()).withName("metrics-sink"));
        return builder.build();
    }
}
