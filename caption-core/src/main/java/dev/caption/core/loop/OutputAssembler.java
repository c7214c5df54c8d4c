package dev.caption.core.loop;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Time;

import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.DeadLetter;

/**
 * Turns a batch's outcomes into the records of its transaction: each output gets the input's trace context, submit
 * time and earlier stage times plus this stage's time; an input whose outputs would be over the record size limit,
 * or that failed, becomes a dead letter (its original key, value and headers, and the reason).
 */
final class OutputAssembler {

    /** Key, value and header bytes are counted; this covers the record's own framing. */
    static final int RECORD_OVERHEAD_BYTES = 256;

    /** One input that became a dead letter, and why. */
    record Failed(ConsumerRecord<String, byte[]> input, Throwable error) {
    }

    /** The records to send in one transaction, and what they are. */
    record Assembled(List<ProducerRecord<String, byte[]>> records, int outputs, List<Failed> deadLetters) {
    }

    private final String stage;
    private final String dlqTopic;
    private final int maxRecordBytes;
    private final Time time;

    OutputAssembler(String stage, String dlqTopic, int maxRecordBytes, Time time) {
        this.stage = stage;
        this.dlqTopic = dlqTopic;
        this.maxRecordBytes = maxRecordBytes;
        this.time = time;
    }

    Assembled assemble(List<ConsumerRecord<String, byte[]>> batch, List<RecordOutcome> outcomes) {
        List<ProducerRecord<String, byte[]>> toSend = new ArrayList<>();
        List<Failed> dead = new ArrayList<>();
        int outputs = 0;
        long now = time.milliseconds();
        for (int i = 0; i < batch.size(); i++) {
            ConsumerRecord<String, byte[]> in = batch.get(i);
            RecordOutcome outcome = outcomes.get(i);
            Throwable failure = null;
            if (outcome instanceof RecordOutcome.Emit emit) {
                List<ProducerRecord<String, byte[]>> decorated = new ArrayList<>();
                for (ProducerRecord<String, byte[]> out : emit.records()) {
                    ProducerRecord<String, byte[]> d = decorate(out, in, now);
                    long size = estimatedSize(d);
                    if (size > maxRecordBytes) {
                        failure = new RecordTooLargeException("output for " + d.topic() + " is about " + size
                                + " bytes, over the " + maxRecordBytes + "-byte record limit");
                        break;
                    }
                    decorated.add(d);
                }
                if (failure == null) {
                    toSend.addAll(decorated);
                    outputs += decorated.size();
                }
            } else if (outcome instanceof RecordOutcome.Fail fail) {
                failure = fail.error();
            } else {
                failure = new IllegalStateException("processor returned no outcome for this record");
            }
            if (failure != null) {
                toSend.add(DeadLetter.CODEC.toRecord(dlqTopic, DeadLetter.of(stage, in, failure, now)));
                dead.add(new Failed(in, failure));
            }
        }
        return new Assembled(toSend, outputs, dead);
    }

    /** Copies trace context, submit time and earlier stage times from the input; stamps this stage's time. */
    private ProducerRecord<String, byte[]> decorate(ProducerRecord<String, byte[]> out, ConsumerRecord<String, byte[]> in,
                                                    long now) {
        Headers headers = new RecordHeaders();
        for (Header h : in.headers()) {
            if (h.key().equals(CaptionHeaders.TRACEPARENT) || h.key().equals(CaptionHeaders.SUBMIT_TIME)
                    || h.key().startsWith(CaptionHeaders.STAGE_TIME_PREFIX)) {
                headers.add(h);
            }
        }
        for (Header h : out.headers()) {
            headers.remove(h.key());
        }
        for (Header h : out.headers()) {
            headers.add(h);
        }
        CaptionHeaders.put(headers, CaptionHeaders.stageTimeKey(stage), Long.toString(now));
        return new ProducerRecord<>(out.topic(), out.partition(), out.timestamp(), out.key(), out.value(), headers);
    }

    static long estimatedSize(ProducerRecord<String, byte[]> r) {
        long size = RECORD_OVERHEAD_BYTES;
        if (r.key() != null) {
            size += r.key().getBytes(StandardCharsets.UTF_8).length;
        }
        if (r.value() != null) {
            size += r.value().length;
        }
        for (Header h : r.headers()) {
            size += h.key().length() + (h.value() == null ? 0 : h.value().length) + 8;
        }
        return size;
    }
}
