package dev.caption.eval;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.apache.kafka.common.utils.MockTime;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

class SettledReadinessTest {

    private final MockTime time = new MockTime();
    private final SettledReadiness readiness = new SettledReadiness(time, Duration.ofSeconds(5));

    @Test
    void theStartupRebalanceAfterAFirstRunningDoesNotMakeItReadyThenUnready() {
        readiness.onChange(State.REBALANCING);
        readiness.onChange(State.RUNNING);
        time.sleep(2000);
        assertFalse(readiness.ready(State.RUNNING), "RUNNING for 2 s only");
        readiness.onChange(State.REBALANCING);                       // the group settles
        assertFalse(readiness.ready(State.REBALANCING));
        readiness.onChange(State.RUNNING);
        time.sleep(4999);
        assertFalse(readiness.ready(State.RUNNING));
        time.sleep(1);
        assertTrue(readiness.ready(State.RUNNING), "stable for 5 s");
    }

    @Test
    void afterTheFirstStableAssignmentReadyMeansRunning() {
        readiness.onChange(State.RUNNING);
        time.sleep(5000);
        assertTrue(readiness.ready(State.RUNNING));
        readiness.onChange(State.REBALANCING);
        assertFalse(readiness.ready(State.REBALANCING), "a later rebalance is not hidden");
        readiness.onChange(State.RUNNING);
        assertTrue(readiness.ready(State.RUNNING), "no second settling wait");
    }
}
