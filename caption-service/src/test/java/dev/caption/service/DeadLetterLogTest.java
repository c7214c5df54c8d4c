package dev.caption.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.utils.MockTime;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class DeadLetterLogTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MockTime time = new MockTime();
    private final List<String> lines = new ArrayList<>();
    private final DeadLetterLog log = new DeadLetterLog(registry, "adapter", time, lines::add);

    @Test
    void eachDeadLetterIsOneWarnLineWithStageKeyReasonAndOrigin() {
        log.record("img-1", "MalformedMessageException", "features frame 'img-1' holds 1 NaN", "caption.features", 2, 41);
        assertEquals(List.of("dead letter: stage=adapter key=img-1 reason=\"features frame 'img-1' holds 1 NaN\" "
                + "origin=caption.features-2@41"), lines);
    }

    @Test
    void countersAreKeptPerReasonClass() {
        log.record("a", "MalformedMessageException", "r", "t", 0, 0);
        log.record("b", "MalformedMessageException", "r", "t", 0, 1);
        log.record(null, "ImageDecodeException", "r", "t", 0, 2);
        assertEquals(2.0, registry.counter("caption.dead.letters", "stage", "adapter", "reason", "MalformedMessageException").count());
        assertEquals(1.0, registry.counter("caption.dead.letters", "stage", "adapter", "reason", "ImageDecodeException").count());
        assertTrue(lines.get(2).contains("key=(none)"), lines.get(2));
    }

    @Test
    void aFloodIsCutToTheLimitPerWindowAndTheNextLineSaysHowManyWereHeldBack() {
        for (int i = 0; i < 1000; i++) {
            log.record("img-" + i, "MalformedMessageException", "bad", "t", 0, i);
        }
        assertEquals(DeadLetterLog.LINES_PER_WINDOW, lines.size());
        assertEquals(1000.0, registry.counter("caption.dead.letters", "stage", "adapter", "reason", "MalformedMessageException").count(),
                "every dead letter is counted, logged or not");
        time.sleep(DeadLetterLog.WINDOW_MS);
        log.record("img-late", "MalformedMessageException", "bad", "t", 0, 1000);
        assertEquals(DeadLetterLog.LINES_PER_WINDOW + 1, lines.size());
        assertTrue(lines.get(lines.size() - 1).endsWith("(" + (1000 - DeadLetterLog.LINES_PER_WINDOW)
                + " more dead letters were not logged)"), lines.get(lines.size() - 1));
    }
}
