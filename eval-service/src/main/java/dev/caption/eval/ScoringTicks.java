package dev.caption.eval;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.streams.processor.TaskId;

/**
 * How {@link ReferenceArrivals} starts its task's scoring tick after moving captions into the pending store.
 *
 * <p>{@link CaptionScoring} schedules its wall-clock punctuation only while its task has pending captions. Kafka
 * Streams marks a task for commit after every punctuation, and under exactly-once a commit is a transaction: a tick
 * that kept running on an idle task committed one every commit interval (100 ms), which cost the broker and the
 * service CPU while nothing happened. One instance per topology; both processors of a task run on that task's stream
 * thread, while tasks on other threads use the map at the same time.
 */
final class ScoringTicks {

    private final Map<TaskId, Runnable> starters = new ConcurrentHashMap<>();

    void register(TaskId task, Runnable start) {
        starters.put(task, start);
    }

    void unregister(TaskId task, Runnable start) {
        starters.remove(task, start);
    }

    /** Starts {@code task}'s tick if its scoring processor is up; a no-op otherwise (its init checks the store). */
    void start(TaskId task) {
        Runnable start = starters.get(task);
        if (start != null) {
            start.run();
        }
    }
}
