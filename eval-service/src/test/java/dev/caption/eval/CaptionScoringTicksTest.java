package dev.caption.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * The scoring check is scheduled only while a task has pending captions: every wall-clock punctuation makes Kafka
 * Streams commit the task, a transaction under exactly-once, so a check on an idle task would commit forever.
 */
class CaptionScoringTicksTest {

    private static final Duration WAIT = Duration.ofMillis(200);

    @TempDir
    Path stateDir;

    private final EvalTopologyTest.OverlapScorer scorer = new EvalTopologyTest.OverlapScorer();
    private MockEvalTask task;

    @BeforeEach
    void task() {
        task = new MockEvalTask(new TaskId(0, 1), stateDir.toFile());
    }

    private void startTask() {
        task.start(8, WAIT, scorer, new ScoringTasks());
    }

    @Test
    void anIdleTaskHasNoCheckScheduled() {
        startTask();
        task.reference("img-1", "a red circle");

        assertEquals(List.of(), task.running());
    }

    @Test
    void aPendingCaptionStartsTheCheckAndTheScoringThatEmptiesTheBatchStopsIt() {
        startTask();
        task.reference("img-1", "a red circle");
        task.caption("img-1", "a red circle");

        assertEquals(1, task.running().size());
        assertEquals(WAIT.dividedBy(4), task.running().get(0).getInterval());
        task.checkAt(WAIT.toMillis());

        assertEquals(List.of(1), scorer.batches);
        assertEquals(List.of(), task.running(), "no check left on a task with nothing pending");
        task.caption("img-1", "a blue circle");
        assertEquals(1, task.running().size(), "the next caption starts it again");
    }

    @Test
    void captionsReleasedByTheirReferencesStartTheCheck() {
        startTask();
        task.caption("img-2", "a green square");
        assertEquals(List.of(), task.running(), "a caption waiting for references is not pending yet");

        task.reference("img-2", "a green square");
        assertEquals(1, task.running().size());
        task.checkAt(WAIT.toMillis());

        assertEquals(List.of(1), scorer.batches);
        assertEquals(List.of(), task.running());
    }

    @Test
    void captionsPendingWhenTheTaskStartsStartTheCheck() {
        Caption c = new Caption("img-3", "a red triangle", 3, "qwen", "abc", "adapter-a", "r1", Map.of());
        task.pending().put("img-3" + EvalRecords.SEP + "00001-0000000000000000007",
                Pending.forScoring(c, List.of("a red triangle"), 0));
        startTask();

        assertEquals(1, task.running().size());
        task.checkAt(WAIT.toMillis());
        assertEquals(List.of(1), scorer.batches);
    }
}
