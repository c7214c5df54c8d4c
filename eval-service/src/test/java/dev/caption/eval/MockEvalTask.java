package dev.caption.eval;

import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.Caption;
import dev.caption.core.message.Json;
import dev.caption.core.message.References;

/**
 * One eval-service task driven by hand: its two processors on MockProcessorContexts, which record what is scheduled,
 * cancelled and forwarded, over in-memory stores. Every task of a test runs on the test's thread, as the tasks of one
 * stream thread do.
 */
final class MockEvalTask {

    static final Topics TOPICS = Topics.withPrefix("t.");

    private final TaskId id;
    private final File stateDir;
    private final List<StateStore> stores;
    private final MockProcessorContext<String, Outcome> scoringContext;
    private final MockProcessorContext<String, Outcome> referencesContext;
    private CaptionScoring scoring;
    private ReferenceArrivals arrivals;
    private long offset;

    MockEvalTask(TaskId id, File stateDir) {
        this.id = id;
        this.stateDir = stateDir;
        stores = List.of(
                store(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(EvalTopology.REFERENCES_STORE),
                        Serdes.String(), References.CODEC.serde())),
                store(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(EvalTopology.WAITING_STORE),
                        Serdes.String(), Pending.SERDE)),
                store(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(EvalTopology.PENDING_STORE),
                        Serdes.String(), Pending.SERDE)));
        scoringContext = context();
        referencesContext = context();
        stores.forEach(s -> s.init(scoringContext.getStateStoreContext(), s));
    }

    private static <S extends StateStore> S store(StoreBuilder<S> builder) {
        return builder.withLoggingDisabled().build();
    }

    private MockProcessorContext<String, Outcome> context() {
        Properties config = new Properties();
        config.put("application.id", "eval-task-test");
        config.put("bootstrap.servers", "unused:9092");
        MockProcessorContext<String, Outcome> c = new MockProcessorContext<>(config, id, stateDir);
        c.setCurrentSystemTimeMs(0);
        stores.forEach(c::addStateStore);
        return c;
    }

    /** Creates and initialises the task's two processors, as Kafka Streams does when the task starts. */
    MockEvalTask start(int maxBatch, Duration maxWait, BatchScorer scorer, ScoringTasks tasks) {
        scoring = new CaptionScoring(new EvalTopology.Settings(TOPICS, maxBatch, maxWait), scorer, tasks);
        arrivals = new ReferenceArrivals(TOPICS.name(Topic.DLQ), tasks);
        scoring.init(scoringContext);
        arrivals.init(referencesContext);
        return this;
    }

    void reference(String imageId, String... refs) {
        referencesContext.setRecordMetadata(TOPICS.name(Topic.REFERENCES), id.partition(), offset++);
        arrivals.process(new Record<>(imageId, Json.write(new References(imageId, List.of(refs))), 0L));
    }

    void caption(String imageId, String text) {
        scoringContext.setRecordMetadata(TOPICS.name(Topic.CAPTIONS), id.partition(), offset++);
        scoring.process(new Record<>(imageId, Json.write(new Caption(imageId, text, 3, "qwen", "abc", "adapter-a", "r1",
                Map.of())), 0L));
    }

    /** The checks scheduled and not cancelled. */
    List<CapturedPunctuator> running() {
        return scoringContext.scheduledPunctuators().stream().filter(p -> !p.cancelled()).toList();
    }

    /** Runs the scheduled checks at {@code millis} of wall clock, as the stream thread would. */
    void checkAt(long millis) {
        scoringContext.setCurrentSystemTimeMs(millis);
        referencesContext.setCurrentSystemTimeMs(millis);
        running().forEach(p -> p.getPunctuator().punctuate(millis));
    }

    /** The scores the task forwarded so far: image id to F. */
    Map<String, Double> scores() {
        return scoringContext.forwarded().stream()
                .filter(f -> f.record().value() instanceof Outcome.Scored)
                .collect(java.util.stream.Collectors.toMap(f -> f.record().key(),
                        f -> ((Outcome.Scored) f.record().value()).score().f1()));
    }

    /** The image ids the task dead-lettered so far. */
    List<String> deadLetters() {
        return scoringContext.forwarded().stream()
                .filter(f -> f.record().value() instanceof Outcome.Dead)
                .map(f -> ((Outcome.Dead) f.record().value()).letter().key())
                .toList();
    }

    KeyValueStore<String, Pending> pending() {
        return scoringContext.getStateStore(EvalTopology.PENDING_STORE);
    }
}
