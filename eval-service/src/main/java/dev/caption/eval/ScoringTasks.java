package dev.caption.eval;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.streams.processor.TaskId;

/**
 * The caption-scoring processors of this instance's tasks, each with the stream thread last seen running it. One
 * instance per topology; tasks on different stream threads use it at the same time.
 *
 * <p>Two things need a task's processor from outside it:
 * <ul>
 * <li>{@link ReferenceArrivals} starts its task's scoring tick after moving captions into the pending store.
 *     {@link CaptionScoring} schedules its wall-clock punctuation only while its task has pending captions: Kafka
 *     Streams marks a task for commit after every punctuation, and under exactly-once a commit is a transaction, so
 *     a tick that kept running on an idle task committed one every commit interval (100 ms), costing the broker and
 *     the service CPU while nothing happened.</li>
 * <li>A scoring call fills its batch with captions pending in the other tasks of its own stream thread
 *     ({@link #peersOf}). A burst of captions spreads over the input topic's partitions, one task each, and scoring
 *     each task's share in its own call costs more than one call for all of them. The tasks of one thread run one
 *     after the other, so a processor may read a peer's store and hand it results on that thread.</li>
 * </ul>
 */
final class ScoringTasks {

    /** A task's processor and the stream thread that last ran it (null until it has run). */
    private static final class Entry {
        final CaptionScoring scoring;
        volatile Thread thread;

        Entry(CaptionScoring scoring) {
            this.scoring = scoring;
        }
    }

    private final Map<TaskId, Entry> tasks = new ConcurrentHashMap<>();

    void register(TaskId task, CaptionScoring scoring) {
        tasks.put(task, new Entry(scoring));
    }

    void unregister(TaskId task, CaptionScoring scoring) {
        tasks.computeIfPresent(task, (id, e) -> e.scoring == scoring ? null : e);
    }

    /**
     * Notes that {@code task}'s processor runs on the calling thread. Called as it processes and punctuates, not at
     * init, which need not run on the thread that will process the task.
     */
    void running(TaskId task) {
        Entry e = tasks.get(task);
        if (e != null && e.thread != Thread.currentThread()) {
            e.thread = Thread.currentThread();
        }
    }

    /** Starts {@code task}'s tick if its scoring processor is up; a no-op otherwise (its init checks the store). */
    void startTick(TaskId task) {
        Entry e = tasks.get(task);
        if (e != null) {
            e.scoring.startTick();
        }
    }

    /** The scoring processors of the other tasks that the calling thread runs. */
    List<CaptionScoring> peersOf(TaskId task) {
        Thread self = Thread.currentThread();
        return tasks.entrySet().stream()
                .filter(kv -> !kv.getKey().equals(task) && kv.getValue().thread == self)
                .map(kv -> kv.getValue().scoring)
                .toList();
    }
}
