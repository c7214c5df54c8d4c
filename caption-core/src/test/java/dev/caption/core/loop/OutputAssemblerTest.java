package dev.caption.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.MockTime;
import org.junit.jupiter.api.Test;

import dev.caption.core.message.CaptionHeaders;

class OutputAssemblerTest {

    private final MockTime time = new MockTime(0, 1_700_000_000_000L, 0);
    private final OutputAssembler assembler = new OutputAssembler("stage", "dlq", 1024, time);

    private static ConsumerRecord<String, byte[]> input(long offset, String value) {
        ConsumerRecord<String, byte[]> r = new ConsumerRecord<>("in", 0, offset, "id-" + offset, value.getBytes(StandardCharsets.UTF_8));
        CaptionHeaders.put(r.headers(), CaptionHeaders.TRACEPARENT, "00-abc-def-01");
        CaptionHeaders.put(r.headers(), CaptionHeaders.SUBMIT_TIME, "42");
        CaptionHeaders.put(r.headers(), CaptionHeaders.stageTimeKey("encoder"), "43");
        CaptionHeaders.put(r.headers(), "unrelated", "x");
        return r;
    }

    @Test
    void outputsCarryTheTraceSubmitAndStageTimesAndThisStagesTime() {
        ConsumerRecord<String, byte[]> in = input(0, "v");
        OutputAssembler.Assembled a = assembler.assemble(List.of(in),
                List.of(RecordOutcome.emit(new ProducerRecord<>("out", "id-0", new byte[] {1}))));
        assertEquals(1, a.outputs());
        assertEquals(List.of(), a.deadLetters());
        ProducerRecord<String, byte[]> out = a.records().get(0);
        assertEquals("00-abc-def-01", CaptionHeaders.get(out.headers(), CaptionHeaders.TRACEPARENT));
        assertEquals("42", CaptionHeaders.get(out.headers(), CaptionHeaders.SUBMIT_TIME));
        assertEquals("43", CaptionHeaders.get(out.headers(), CaptionHeaders.stageTimeKey("encoder")));
        assertEquals(Long.toString(time.milliseconds()), CaptionHeaders.get(out.headers(), CaptionHeaders.stageTimeKey("stage")));
        assertEquals(null, CaptionHeaders.get(out.headers(), "unrelated"));
    }

    @Test
    void aFailedRecordBecomesADeadLetterWithItsBytesAndReason() {
        ConsumerRecord<String, byte[]> in = input(7, "bad bytes");
        OutputAssembler.Assembled a = assembler.assemble(List.of(in), List.of(RecordOutcome.fail(new IllegalArgumentException("not an image"))));
        assertEquals(0, a.outputs());
        assertEquals(1, a.deadLetters().size());
        ProducerRecord<String, byte[]> dead = a.records().get(0);
        assertEquals("dlq", dead.topic());
        assertEquals("id-7", dead.key());
        assertEquals("bad bytes", new String(dead.value(), StandardCharsets.UTF_8));
        assertEquals("not an image", CaptionHeaders.get(dead.headers(), CaptionHeaders.DLQ_REASON));
        assertEquals("stage", CaptionHeaders.get(dead.headers(), CaptionHeaders.DLQ_STAGE));
        assertEquals("7", CaptionHeaders.get(dead.headers(), CaptionHeaders.DLQ_ORIGIN_OFFSET));
        assertEquals("x", CaptionHeaders.get(dead.headers(), "unrelated"), "the original headers are kept");
    }

    @Test
    void anOutputOverTheRecordLimitDeadLettersItsInputAndNothingOfItIsSent() {
        ConsumerRecord<String, byte[]> in = input(3, "v");
        OutputAssembler.Assembled a = assembler.assemble(List.of(in), List.of(RecordOutcome.emit(
                new ProducerRecord<>("out", "id-3", new byte[10]), new ProducerRecord<>("out", "id-3", new byte[2000]))));
        assertEquals(0, a.outputs());
        assertEquals(1, a.records().size(), "only the dead letter");
        assertTrue(CaptionHeaders.get(a.records().get(0).headers(), CaptionHeaders.DLQ_REASON).contains("over the 1024-byte record limit"));
    }
}
