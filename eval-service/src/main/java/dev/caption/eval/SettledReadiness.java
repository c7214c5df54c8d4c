package dev.caption.eval;

import java.time.Duration;

import org.apache.kafka.common.utils.Time;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Readiness that does not flicker at startup: Kafka Streams goes RUNNING, then REBALANCING again a few seconds later
 * when the group settles. The service reports ready only once it has been RUNNING for {@code settle} without a state
 * change; after that first stable assignment, ready simply means RUNNING.
 */
final class SettledReadiness {

    private final Time time;
    private final long settleMs;
    private long lastChangeMs;
    private boolean settledOnce;

    SettledReadiness(Time time, Duration settle) {
        this.time = time;
        this.settleMs = settle.toMillis();
        this.lastChangeMs = time.milliseconds();
    }

    /** From Kafka Streams' state listener. */
    synchronized void onChange(KafkaStreams.State newState) {
        lastChangeMs = time.milliseconds();
    }

    synchronized boolean ready(KafkaStreams.State current) {
        if (current != KafkaStreams.State.RUNNING) {
            return false;
        }
        if (!settledOnce && time.milliseconds() - lastChangeMs >= settleMs) {
            settledOnce = true;
        }
        return settledOnce;
    }
}
