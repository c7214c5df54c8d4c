package dev.caption.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.caption.core.message.Caption;

/**
 * A scoring call with room left takes in the captions pending in the other tasks of its stream thread, and those
 * tasks forward the scores in their own next check without scoring again. Two tasks on the test's thread, as two
 * partitions' tasks on one stream thread.
 */
class CrossTaskScoringTest {

    private static final Duration WAIT = Duration.ofMillis(200);
    private static final int MAX_BATCH = 8;

    @TempDir
    Path stateDir;

    private final EvalTopologyTest.OverlapScorer scorer = new EvalTopologyTest.OverlapScorer();
    private final ScoringTasks tasks = new ScoringTasks();
    private MockEvalTask a;
    private MockEvalTask b;

    @BeforeEach
    void tasks() {
        a = new MockEvalTask(new TaskId(0, 0), stateDir.resolve("a").toFile()).start(MAX_BATCH, WAIT, scorer, tasks);
        b = new MockEvalTask(new TaskId(0, 1), stateDir.resolve("b").toFile()).start(MAX_BATCH, WAIT, scorer, tasks);
    }

    /** {@code n} captions on {@code task}, each with references that share half its words. */
    private static void captions(MockEvalTask task, String prefix, int n) {
        for (int i = 0; i < n; i++) {
            task.reference(prefix + i, "a red circle");
            task.caption(prefix + i, "a blue circle " + i);
        }
    }

    @Test
    void aDueTaskScoresItsPeersCaptionsInItsCallAndThePeerForwardsThemWithoutScoringAgain() {
        captions(a, "a-", 2);
        captions(b, "b-", 3);

        a.checkAt(WAIT.toMillis());
        assertEquals(List.of(5), scorer.batches, "one call for both tasks' captions");
        assertEquals(2, a.scores().size());
        assertEquals(Map.of(), b.scores(), "the peer forwards its own scores, in its own check");

        b.checkAt(WAIT.toMillis() + 10);
        assertEquals(List.of(5), scorer.batches, "no second call");
        assertEquals(3, b.scores().size());
        b.scores().values().forEach(f -> assertEquals(0.5, f, 1e-9));
        assertEquals(List.of(), b.running(), "the peer's batch is empty, so its check stops");
        assertTrue(a.running().isEmpty());
    }

    @Test
    void aCallTakesNoMoreOfItsPeersCaptionsThanItsRoom() {
        captions(a, "a-", 3);
        captions(b, "b-", MAX_BATCH - 1);

        a.checkAt(WAIT.toMillis());
        assertEquals(List.of(MAX_BATCH), scorer.batches);

        b.checkAt(WAIT.toMillis() + 10);
        assertEquals(List.of(MAX_BATCH, 2), scorer.batches, "the peer scores the two left over itself");
        assertEquals(MAX_BATCH - 1, b.scores().size());
    }

    @Test
    void aScoreHandedOverForACaptionThatChangedSinceIsNotForwardedButScoredAgain() {
        captions(a, "a-", 1);
        captions(b, "b-", 1);
        a.checkAt(WAIT.toMillis());
        String key = b.pending().all().next().key;
        Caption changed = new Caption("b-0", "a red circle", 3, "qwen", "abc", "adapter-a", "r1", Map.of());
        b.pending().put(key, Pending.forScoring(changed, List.of("a red circle"), 0));

        b.checkAt(WAIT.toMillis() + 10);
        assertEquals(List.of(2, 1), scorer.batches);
        assertEquals(Map.of("b-0", 1.0), b.scores());
    }

    @Test
    void aPeersCaptionThatBreaksTheCallDeadLettersOnlyInItsOwnTask() {
        captions(a, "a-", 2);
        b.reference("b-0", "a red circle");
        b.caption("b-0", "EXPLODE");

        a.checkAt(WAIT.toMillis());
        assertEquals(List.of(3, 2), scorer.batches, "the call is made again without the peer's caption");
        assertEquals(2, a.scores().size());
        assertEquals(List.of(), a.deadLetters());

        b.checkAt(WAIT.toMillis() + 10);
        assertEquals(List.of("b-0"), b.deadLetters());
        assertEquals(Map.of(), b.scores());
    }
}
