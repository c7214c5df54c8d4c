package dev.caption.core.message;

import java.util.Arrays;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * An image to caption, on {@code caption.images}: key = image id, value = the encoded image bytes as published
 * (JPEG, PNG, ...), header {@code content-type} = the type sniffed from the bytes by the publisher.
 */
public record ImageEvent(String id, String contentType, byte[] bytes) {

    /** Images above this size are refused by the publisher and dead-lettered by the encoder (configurable). */
    public static final int DEFAULT_MAX_IMAGE_BYTES = 10 * 1024 * 1024;

    public static final MessageCodec<ImageEvent> CODEC = new MessageCodec<>() {
        @Override
        public ProducerRecord<String, byte[]> toRecord(String topic, ImageEvent event) {
            return MediaRecords.toRecord(topic, event.id(), event.contentType(), event.bytes());
        }

        @Override
        public ImageEvent fromRecord(ConsumerRecord<String, byte[]> record) {
            return new ImageEvent(record.key(), MediaRecords.contentType(record, "image record"), record.value());
        }
    };

    /**
     * This image as a submission to {@code topic}: its record with the headers every publisher sets (content type,
     * the submit time latencies are measured from, and a new W3C trace). The CLI and the web page publish through it.
     */
    public ProducerRecord<String, byte[]> submission(String topic, long submitTimeMillis) {
        return MediaRecords.submitted(CODEC.toRecord(topic, this), submitTimeMillis);
    }

    public ImageEvent {
        Messages.requireId(id, "ImageEvent");
        Messages.require(bytes != null && bytes.length > 0, "ImageEvent '" + id + "' has no image bytes");
        Messages.require(contentType != null && !contentType.isBlank(), "ImageEvent '" + id + "' has no content type");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageEvent e && e.id.equals(id) && e.contentType.equals(contentType)
                && Arrays.equals(e.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return 31 * id.hashCode() + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "ImageEvent[id=" + id + ", contentType=" + contentType + ", " + bytes.length + " bytes]";
    }
}
