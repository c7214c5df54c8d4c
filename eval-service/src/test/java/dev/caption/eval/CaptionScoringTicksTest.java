package dev.caption.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
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
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.Caption;
import dev.caption.core.message.Json;
import dev.caption.core.message.References;

/**
 * The scoring check is scheduled only while a task has pending captions: every wall-clock punctuation makes Kafka
 * Streams commit the task, a transaction under exactly-once, so a check on an idle task would commit forever.
 * Driven with MockProcessorContext, which records what is scheduled and cancelled.
 */
class CaptionScoringTicksTest {

    private static final Topics TOPICS = Topics.withPrefix("t.");
    private static final Duration WAIT = Duration.ofMillis(200);
    private static final TaskId TASK = new TaskId(0, 1);

    @TempDir
    Path stateDir;

    private final EvalTopologyTest.OverlapScorer scorer = new EvalTopologyTest.OverlapScorer();
    private final ScoringTicks ticks = new ScoringTicks();
    private List<StateStore> stores;
    private MockProcessorContext<String, Outcome> scoringContext;
    private MockProcessorContext<String, Outcome> referencesContext;
    private CaptionScoring scoring;
    private ReferenceArrivals arrivals;
    private long offset;

    @BeforeEach
    void stores() {
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

    private static <S extends StateStore> S store(org.apache.kafka.streams.state.StoreBuilder<S> builder) {
        return builder.withLoggingDisabled().build();
    }

    private MockProcessorContext<String, Outcome> context() {
        Properties config = new Properties();
        config.put("application.id", "eval-ticks-test");
        config.put("bootstrap.servers", "unused:9092");
        MockProcessorContext<String, Outcome> c = new MockProcessorContext<>(config, TASK, stateDir.toFile());
        c.setCurrentSystemTimeMs(0);
        stores.forEach(c::addStateStore);
        return c;
    }

    /** The two processors of one task, initialised as Kafka Streams does when the task starts. */
    private void startTask() {
        scoring = new CaptionScoring(new EvalTopology.Settings(TOPICS, 8, WAIT), scorer, ticks);
        arrivals = new ReferenceArrivals(TOPICS.name(Topic.DLQ), ticks);
        scoring.init(scoringContext);
        arrivals.init(referencesContext);
    }

    private void reference(String id, String... refs) {
        referencesContext.setRecordMetadata(TOPICS.name(Topic.REFERENCES), 1, offset++);
        arrivals.process(new Record<>(id, Json.write(new References(id, List.of(refs))), 0L));
    }

    private void caption(String id, String text) {
        scoringContext.setRecordMetadata(TOPICS.name(Topic.CAPTIONS), 1, offset++);
        scoring.process(new Record<>(id, Json.write(new Caption(id, text, 3, "qwen", "abc", "adapter-a", "r1", Map.of())),
                0L));
    }

    private List<CapturedPunctuator> running() {
        return scoringContext.scheduledPunctuators().stream().filter(p -> !p.cancelled()).toList();
    }

    /** Runs the scheduled check at {@code millis} of wall clock, as the stream thread would. */
    private void checkAt(long millis) {
        scoringContext.setCurrentSystemTimeMs(millis);
        referencesContext.setCurrentSystemTimeMs(millis);
        running().forEach(p -> p.getPunctuator().punctuate(millis));
    }

    @Test
    void anIdleTaskHasNoCheckScheduled() {
        startTask();
        reference("img-1", "a red circle");

        assertEquals(List.of(), running());
    }

    @Test
    void aPendingCaptionStartsTheCheckAndTheScoringThatEmptiesTheBatchStopsIt() {
        startTask();
        reference("img-1", "a red circle");
        caption("img-1", "a red circle");

        assertEquals(1, running().size());
        assertEquals(WAIT.dividedBy(4), running().get(0).getInterval());
        checkAt(WAIT.toMillis());

        assertEquals(List.of(1), scorer.batches);
        assertEquals(List.of(), running(), "no check left on a task with nothing pending");
        caption("img-1", "a blue circle");
        assertEquals(1, running().size(), "the next caption starts it again");
    }

    @Test
    void captionsReleasedByTheirReferencesStartTheCheck() {
        startTask();
        caption("img-2", "a green square");
        assertEquals(List.of(), running(), "a caption waiting for references is not pending yet");

        reference("img-2", "a green square");
        assertEquals(1, running().size());
        checkAt(WAIT.toMillis());

        assertEquals(List.of(1), scorer.batches);
        assertEquals(List.of(), running());
    }

    @Test
    void captionsPendingWhenTheTaskStartsStartTheCheck() {
        KeyValueStore<String, Pending> pending = scoringContext.getStateStore(EvalTopology.PENDING_STORE);
        Caption c = new Caption("img-3", "a red triangle", 3, "qwen", "abc", "adapter-a", "r1", Map.of());
        pending.put("img-3" + EvalRecords.SEP + "00001-0000000000000000007", Pending.forScoring(c, List.of("a red triangle"), 0));
        startTask();

        assertEquals(1, running().size());
        checkAt(WAIT.toMillis());
        assertEquals(List.of(1), scorer.batches);
    }
}
