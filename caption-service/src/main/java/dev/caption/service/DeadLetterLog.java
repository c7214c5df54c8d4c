package dev.caption.service;

import java.util.function.Consumer;

import org.apache.kafka.common.utils.Time;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * What an operator sees of dead letters: a counter per stage and reason class
 * ({@code caption_dead_letters_total{stage, reason}}), and one WARN line each (stage, key, reason, origin), at most
 * {@link #LINES_PER_WINDOW} lines per {@link #WINDOW_MS} so that a flood cannot fill the disk; the lines held back
 * are counted in the next line written.
 */
public final class DeadLetterLog {

    static final int LINES_PER_WINDOW = 20;
    static final long WINDOW_MS = 60_000;

    private final MeterRegistry registry;
    private final String stage;
    private final Time time;
    private final Consumer<String> warn;
    private long windowStart = Long.MIN_VALUE;
    private int linesInWindow;
    private long heldBack;

    public DeadLetterLog(MeterRegistry registry, String stage, Time time, Consumer<String> warn) {
        this.registry = registry;
        this.stage = stage;
        this.time = time;
        this.warn = warn;
    }

    /** One record went to the dead-letter topic. {@code reasonClass} is the error's class, a bounded label. */
    public synchronized void record(String key, String reasonClass, String reason, String originTopic, int partition,
                                    long offset) {
        registry.counter("caption.dead.letters", "stage", stage, "reason", reasonClass).increment();
        long now = time.milliseconds();
        if (windowStart == Long.MIN_VALUE || now - windowStart >= WINDOW_MS) {
            windowStart = now;
            linesInWindow = 0;
        }
        if (linesInWindow >= LINES_PER_WINDOW) {
            heldBack++;
            return;
        }
        linesInWindow++;
        String more = heldBack == 0 ? "" : " (" + heldBack + " more dead letters were not logged)";
        heldBack = 0;
        warn.accept(String.format("dead letter: stage=%s key=%s reason=\"%s\" origin=%s-%d@%d%s", stage,
                key == null ? "(none)" : key, reason, originTopic, partition, offset, more));
    }
}
