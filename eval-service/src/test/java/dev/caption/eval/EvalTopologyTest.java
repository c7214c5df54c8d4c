package dev.caption.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.Caption;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.DeadLetter;
import dev.caption.core.message.Json;
import dev.caption.core.message.References;
import dev.caption.core.message.RunMetrics;
import dev.caption.core.message.Score;
import dev.caption.nn.bert.Prf;

/** The eval topology with a fake scorer (word overlap), driven by TopologyTestDriver: no broker, no model. */
class EvalTopologyTest {

    private static final Topics TOPICS = Topics.withPrefix("t.");
    private static final Duration WAIT = Duration.ofMillis(100);

    /** P = fraction of candidate words found in the best reference; records every batch it is called with. */
    static final class OverlapScorer implements BatchScorer {
        final List<Integer> batches = new ArrayList<>();

        @Override
        public List<Prf> score(List<String> candidates, List<List<String>> references) {
            batches.add(candidates.size());
            List<Prf> out = new ArrayList<>();
            for (int i = 0; i < candidates.size(); i++) {
                if (candidates.get(i).contains("EXPLODE")) {
                    throw new IllegalStateException("the scorer choked on " + candidates.get(i));
                }
                Set<String> words = new HashSet<>(Arrays.asList(candidates.get(i).split(" ")));
                double best = 0;
                for (String ref : references.get(i)) {
                    Set<String> common = new HashSet<>(words);
                    common.retainAll(Arrays.asList(ref.split(" ")));
                    best = Math.max(best, common.size() / (double) words.size());
                }
                out.add(new Prf(best, best, best));
            }
            return out;
        }

        @Override
        public String id() {
            return "overlap";
        }
    }

    private final OverlapScorer scorer = new OverlapScorer();
    private TopologyTestDriver driver;
    private final List<DeadLetter> reported = new java.util.ArrayList<>();
    private TestInputTopic<String, byte[]> captions;
    private TestInputTopic<String, byte[]> references;
    private TestOutputTopic<String, byte[]> scores;
    private TestOutputTopic<String, byte[]> metrics;
    private TestOutputTopic<String, byte[]> dlq;

    private void start(int maxBatch) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "eval-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        driver = new TopologyTestDriver(EvalTopology.build(new EvalTopology.Settings(TOPICS, maxBatch, WAIT), scorer, reported::add),
                props, Instant.EPOCH);
        captions = driver.createInputTopic(TOPICS.name(Topic.CAPTIONS), new StringSerializer(), new ByteArraySerializer());
        references = driver.createInputTopic(TOPICS.name(Topic.REFERENCES), new StringSerializer(), new ByteArraySerializer());
        scores = driver.createOutputTopic(TOPICS.name(Topic.SCORES), new StringDeserializer(), new ByteArrayDeserializer());
        metrics = driver.createOutputTopic(TOPICS.name(Topic.METRICS), new StringDeserializer(), new ByteArrayDeserializer());
        dlq = driver.createOutputTopic(TOPICS.name(Topic.DLQ), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private void reference(String id, String... refs) {
        references.pipeInput(id, Json.write(new References(id, List.of(refs))));
    }

    private void caption(String id, String text, String run) {
        captions.pipeInput(id, Json.write(new Caption(id, text, 3, "qwen", "abc", "adapter-a", run, Map.of())));
    }

    private List<Score> scores() {
        return scores.readValuesToList().stream().map(v -> Json.read(v, Score.class)).toList();
    }

    @Test
    void aCaptionWithReferencesIsScoredAgainstThemWhenTheBatchWaitEnds() {
        start(16);
        reference("img-1", "a dog runs on grass", "a cat sleeps");
        caption("img-1", "a dog sleeps", "run-1");
        assertTrue(scores.isEmpty(), "scored before the batch closed");
        driver.advanceWallClockTime(WAIT);
        List<Score> out = scores();
        assertEquals(1, out.size());
        Score s = out.get(0);
        assertEquals("img-1", s.id());
        assertEquals("run-1", s.run());
        assertEquals("adapter-a", s.adapter());
        assertEquals("qwen", s.model());
        assertEquals("overlap", s.scorer());
        assertEquals(2 / 3.0, s.f1(), 1e-12);
        assertEquals(List.of("a dog runs on grass", "a cat sleeps"), s.references());
        assertEquals("a dog sleeps", s.caption());
    }

    @Test
    void aCaptionWhoseReferencesArriveLaterIsScoredWhenTheyArrive() {
        start(16);
        caption("img-2", "two kids play", "run-1");
        driver.advanceWallClockTime(WAIT.multipliedBy(5));
        assertTrue(scores.isEmpty());
        reference("img-2", "two kids play in sand");
        driver.advanceWallClockTime(WAIT);
        List<Score> out = scores();
        assertEquals(1, out.size());
        assertEquals(1.0, out.get(0).f1(), 1e-12);
    }

    @Test
    void theLatestReferenceListIsTheOneUsed() {
        start(16);
        reference("img-3", "nothing in common");
        reference("img-3", "a red car");
        caption("img-3", "a red car", "run-1");
        driver.advanceWallClockTime(WAIT);
        assertEquals(List.of(1.0), scores().stream().map(Score::f1).toList());
    }

    @Test
    void captionsAreScoredInBatchesOfMaxBatchAndTheRestAtTheWait() {
        start(2);
        for (int i = 0; i < 5; i++) {
            reference("img-" + i, "a b c");
            caption("img-" + i, "a b", "run-1");
        }
        assertEquals(List.of(2, 2), scorer.batches);
        driver.advanceWallClockTime(WAIT);
        assertEquals(List.of(2, 2, 1), scorer.batches);
        assertEquals(5, scores().size());
    }

    @Test
    void aCaptionThatArrivesJustBeforeACheckWaitsForTheOnesBehindIt() {
        start(16);
        reference("img-1", "a b c");
        reference("img-2", "a b c");
        driver.advanceWallClockTime(WAIT.multipliedBy(9).dividedBy(10));
        caption("img-1", "a b", "run-1");
        driver.advanceWallClockTime(WAIT.dividedBy(10));           // a check at maxWait after start: img-1 is new
        caption("img-2", "a c", "run-1");
        assertEquals(List.of(), scorer.batches);
        driver.advanceWallClockTime(WAIT);
        assertEquals(List.of(2), scorer.batches, "one scoring call for both");
        assertEquals(2, scores().size());
    }

    @Test
    void malformedCaptionsAndReferencesGoToTheDeadLetterTopicAndScoringGoesOn() {
        start(16);
        captions.pipeInput("img-9", "{not json".getBytes(StandardCharsets.UTF_8));
        references.pipeInput("img-8", "[\"a list, not References\"]".getBytes(StandardCharsets.UTF_8));
        captions.pipeInput("img-7", Json.write(new Caption("img-6", "key and id differ", 1, "m", null, null, null, null)));
        // no key: it could never meet its references (they are partitioned by id), so it must not wait for them
        captions.pipeInput((String) null, Json.write(new Caption("img-4", "no key", 1, "m", null, null, null, null)));
        reference("img-4", "a cat");
        reference("img-5", "a dog");
        caption("img-5", "a dog", "run-1");
        driver.advanceWallClockTime(WAIT);

        List<TestRecord<String, byte[]>> dead = dlq.readRecordsToList();
        assertEquals(4, dead.size());
        assertEquals(dead.stream().map(TestRecord::key).toList(), reported.stream().map(DeadLetter::key).toList(),
                "every dead letter is reported, for the log and the counter");
        assertEquals("img-9", dead.get(0).key());
        assertEquals("{not json", new String(dead.get(0).value(), StandardCharsets.UTF_8));
        Headers h = dead.get(0).headers();
        assertEquals("eval", CaptionHeaders.get(h, CaptionHeaders.DLQ_STAGE));
        assertEquals(TOPICS.name(Topic.CAPTIONS), CaptionHeaders.get(h, CaptionHeaders.DLQ_ORIGIN_TOPIC));
        assertTrue(CaptionHeaders.get(dead.get(1).headers(), CaptionHeaders.DLQ_REASON).length() > 0);
        assertEquals(TOPICS.name(Topic.REFERENCES), CaptionHeaders.get(dead.get(1).headers(), CaptionHeaders.DLQ_ORIGIN_TOPIC));
        assertTrue(CaptionHeaders.get(dead.get(2).headers(), CaptionHeaders.DLQ_REASON).contains("does not match the record key"),
                CaptionHeaders.get(dead.get(2).headers(), CaptionHeaders.DLQ_REASON));
        assertTrue(CaptionHeaders.get(dead.get(3).headers(), CaptionHeaders.DLQ_REASON).contains("has no record key"),
                CaptionHeaders.get(dead.get(3).headers(), CaptionHeaders.DLQ_REASON));
        assertEquals(1, scores().size());
    }

    @Test
    void aCaptionTheScorerFailsOnIsDeadLetteredAndTheRestOfItsBatchIsScored() {
        start(16);
        reference("img-1", "a b");
        reference("img-2", "a b");
        caption("img-1", "a EXPLODE", "run-1");
        caption("img-2", "a b", "run-1");
        driver.advanceWallClockTime(WAIT);
        assertEquals(List.of("img-2"), scores().stream().map(Score::id).toList());
        List<TestRecord<String, byte[]>> dead = dlq.readRecordsToList();
        assertEquals(1, dead.size());
        assertTrue(CaptionHeaders.get(dead.get(0).headers(), CaptionHeaders.DLQ_REASON).contains("the scorer choked"));
        assertEquals("a EXPLODE", Json.read(dead.get(0).value(), Caption.class).text());
    }

    @Test
    void runningAggregatesPerRunAreStoredAndEmitted() {
        start(16);
        reference("img-1", "a b c d");
        reference("img-2", "a b c d");
        reference("img-3", "a b c d");
        caption("img-1", "a b x y", "run-1");     // 0.5
        caption("img-2", "a b c y", "run-1");     // 0.75
        caption("img-3", "a b c d", "run-1");     // 1.0
        caption("img-1", "a x y z", "run-2");     // 0.25
        driver.advanceWallClockTime(WAIT);

        List<RunMetrics> updates = metrics.readValuesToList().stream().map(v -> Json.read(v, RunMetrics.class)).toList();
        RunMetrics run1 = updates.stream().filter(m -> m.run().equals("run-1")).reduce((a, b) -> b).orElseThrow();
        assertEquals(3, run1.count());
        assertEquals(0.75, run1.f1().mean(), 1e-12);
        assertEquals("run-1|adapter-a|qwen", run1.key());

        KeyValueStore<String, ValueAndTimestamp<RunMetrics>> runs = driver.getTimestampedKeyValueStore(EvalTopology.RUNS_STORE);
        assertEquals(3, runs.get("run-1|adapter-a|qwen").value().count());
        assertEquals(0.25, runs.get("run-2|adapter-a|qwen").value().f1().mean(), 1e-12);
    }
}
