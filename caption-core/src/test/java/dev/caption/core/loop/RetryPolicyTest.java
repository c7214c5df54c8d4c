package dev.caption.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.utils.MockTime;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final MockTime time = new MockTime(0, 0, 0);
    private final AtomicInteger keepAlives = new AtomicInteger();
    private final List<String> events = new ArrayList<>();
    private final RetryPolicy.Events recorder = new RetryPolicy.Events() {
        @Override
        public void onRetry(int batchSize, int attempt, Throwable error) {
            events.add("retry " + batchSize + " #" + attempt);
        }

        @Override
        public void onSplit(int batchSize, Throwable error) {
            events.add("split " + batchSize);
        }
    };

    private RetryPolicy policy(int maxRetries) {
        return new RetryPolicy(maxRetries, Duration.ofMillis(200), Duration.ofSeconds(10), time, keepAlives::incrementAndGet,
                () -> false, recorder);
    }

    static List<ConsumerRecord<String, byte[]>> batch(String... values) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            out.add(new ConsumerRecord<>("in", 0, i, "k" + i, values[i].getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    /** Throws on any batch holding "poison"; emits nothing for the others. */
    private static final BatchProcessor SINKS_ON_POISON = b -> {
        for (ConsumerRecord<String, byte[]> r : b) {
            if (new String(r.value(), StandardCharsets.UTF_8).equals("poison")) {
                throw new IllegalStateException("boom");
            }
        }
        return b.stream().map(r -> RecordOutcome.emit(List.of())).toList();
    };

    @Test
    void aBatchThatSucceedsIsProcessedOnceWithoutWaiting() {
        AtomicInteger calls = new AtomicInteger();
        List<RecordOutcome> out = policy(3).process(batch("a", "b"), b -> {
            calls.incrementAndGet();
            return SINKS_ON_POISON.process(b);
        });
        assertEquals(2, out.size());
        assertEquals(1, calls.get());
        assertEquals(0, time.milliseconds());
        assertEquals(List.of(), events);
    }

    @Test
    void aTransientFailureIsRetriedWithDoublingBackoff() {
        AtomicInteger calls = new AtomicInteger();
        List<RecordOutcome> out = policy(3).process(batch("a", "b"), b -> {
            if (calls.incrementAndGet() < 3) {
                throw new IllegalStateException("device busy");
            }
            return SINKS_ON_POISON.process(b);
        });
        assertTrue(out.stream().allMatch(o -> o instanceof RecordOutcome.Emit));
        assertEquals(List.of("retry 2 #1", "retry 2 #2"), events);
        assertEquals(200 + 400, time.milliseconds(), "backoffs of 200 and 400 ms");
    }

    @Test
    void aPoisonRecordIsIsolatedByBisectionAndFailsAlone() {
        AtomicInteger calls = new AtomicInteger();
        List<RecordOutcome> out = policy(2).process(batch("a", "b", "poison", "d", "e", "f", "g", "h"), b -> {
            calls.incrementAndGet();
            return SINKS_ON_POISON.process(b);
        });
        assertEquals(8, out.size());
        for (int i = 0; i < 8; i++) {
            assertEquals(i == 2, out.get(i) instanceof RecordOutcome.Fail, "record " + i);
        }
        assertEquals("boom", ((RecordOutcome.Fail) out.get(2)).error().getMessage());
        // 3 tries of 8; halves of 4 (one fails: 2 + 2); of 2 (one fails: 1 + 1): 3 + 2 + 2 + 2 = 9 calls
        assertEquals(9, calls.get());
        assertEquals(List.of("retry 8 #1", "retry 8 #2", "split 8", "split 4", "split 2"), events);
    }

    @Test
    void theConsumerIsKeptAliveBetweenAnyTwoProcessorCallsOfARetriedAndSplitBatch() {
        AtomicInteger calls = new AtomicInteger();
        List<Integer> aliveAtCall = new ArrayList<>();
        policy(2).process(batch("a", "b", "poison", "d"), b -> {
            aliveAtCall.add(keepAlives.get());
            calls.incrementAndGet();
            return SINKS_ON_POISON.process(b);
        });
        for (int i = 1; i < aliveAtCall.size(); i++) {
            assertTrue(aliveAtCall.get(i) > aliveAtCall.get(i - 1), "a poll between call " + i + " and " + (i + 1) + ": " + aliveAtCall);
        }
    }

    @Test
    void aLongBackoffPollsAtLeastEverySecond() {
        RetryPolicy slow = new RetryPolicy(1, Duration.ofSeconds(10), Duration.ofSeconds(10), time, keepAlives::incrementAndGet,
                () -> false, recorder);
        AtomicInteger calls = new AtomicInteger();
        slow.process(batch("a"), b -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("once");
            }
            return SINKS_ON_POISON.process(b);
        });
        assertEquals(10_000, time.milliseconds());
        assertTrue(keepAlives.get() >= 10, "polls during a 10 s backoff: " + keepAlives.get());
    }

    @Test
    void theBackoffIsCapped() {
        RetryPolicy p = new RetryPolicy(30, Duration.ofMillis(200), Duration.ofSeconds(10), time, () -> { }, () -> false,
                RetryPolicy.Events.NONE);
        assertEquals(200, p.delay(1));
        assertEquals(3200, p.delay(5));
        assertEquals(10_000, p.delay(20));
    }

    @Test
    void aWrongNumberOfOutcomesIsAFailureOfTheBatch() {
        List<RecordOutcome> out = policy(0).process(batch("a"), b -> List.of());
        assertInstanceOf(RecordOutcome.Fail.class, out.get(0));
        assertTrue(((RecordOutcome.Fail) out.get(0)).error().getMessage().contains("returned 0 outcomes for 1 records"));
    }

    @Test
    void anInterruptedProcessorAbortsTheBatch() {
        assertThrows(BatchAborted.class, () -> policy(3).process(batch("a"), b -> {
            throw new InterruptedException();
        }));
        assertTrue(Thread.interrupted(), "the interrupt is kept");
    }
}
