package dev.caption.eval;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import dev.caption.core.message.DeadLetter;
import dev.caption.core.message.JsonMessageCodec;

/** Decoding input records and dead-lettering the ones that fail, shared by the eval processors. */
final class EvalRecords {

    /** Separates the image id from the origin partition/offset in the waiting and pending store keys. */
    static final char SEP = '\u0000';

    private EvalRecords() {
    }

    /** The message in {@code record}, checked as the codec checks it (valid JSON, id equal to the key). */
    static <T> T decode(ProcessorContext<String, Outcome> context, Record<String, byte[]> record, JsonMessageCodec<T> codec) {
        RecordMetadata m = context.recordMetadata().orElseThrow();
        return codec.fromRecord(new ConsumerRecord<>(m.topic(), m.partition(), m.offset(), record.key(), record.value()));
    }

    /** A store key unique per input record, grouping an id's entries for a prefix scan: id, NUL, partition-offset. */
    static String storeKey(ProcessorContext<String, Outcome> context, String id) {
        RecordMetadata m = context.recordMetadata().orElseThrow();
        return id + SEP + String.format("%05d-%019d", m.partition(), m.offset());
    }

    /** Forwards {@code record} (from the record being processed) as a dead letter explaining {@code error}. */
    static void deadLetter(ProcessorContext<String, Outcome> context, String dlqTopic, Record<String, byte[]> record,
                           Throwable error) {
        RecordMetadata m = context.recordMetadata().orElseThrow();
        List<Header> headers = new ArrayList<>();
        record.headers().forEach(headers::add);
        forward(context, dlqTopic, new DeadLetter(EvalTopology.STAGE, error.getClass().getName(),
                DeadLetter.describe(error), m.topic(), m.partition(), m.offset(), context.currentSystemTimeMs(),
                record.key(), record.value(), headers));
    }

    static void forward(ProcessorContext<String, Outcome> context, String dlqTopic, DeadLetter dead) {
        ProducerRecord<String, byte[]> r = DeadLetter.CODEC.toRecord(dlqTopic, dead);
        context.forward(new Record<String, Outcome>(dead.key(), new Outcome.Dead(dead), dead.failedAt(), r.headers()));
    }
}
