package dev.caption.core.message;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The record layout images and audio clips share: key = id, value = the bytes as published, a content-type header. */
final class MediaRecords {

    private MediaRecords() {
    }

    static ProducerRecord<String, byte[]> toRecord(String topic, String id, String contentType, byte[] bytes) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, id, bytes);
        CaptionHeaders.put(record.headers(), CaptionHeaders.CONTENT_TYPE, contentType);
        return record;
    }

    /** The record's content type, or {@code application/octet-stream} when it has none. */
    static String contentType(ConsumerRecord<String, byte[]> record, String what) {
        Messages.requireKey(record.key(), null, what);
        String contentType = CaptionHeaders.get(record.headers(), CaptionHeaders.CONTENT_TYPE);
        return contentType == null ? "application/octet-stream" : contentType;
    }

    /** {@code record} with the headers every publisher adds: the submit time latencies start from, and a new trace. */
    static ProducerRecord<String, byte[]> submitted(ProducerRecord<String, byte[]> record, long submitTimeMillis) {
        CaptionHeaders.put(record.headers(), CaptionHeaders.SUBMIT_TIME, Long.toString(submitTimeMillis));
        CaptionHeaders.put(record.headers(), CaptionHeaders.TRACEPARENT, CaptionHeaders.newTraceparent());
        return record;
    }
}
