package dev.caption.core.message;

import java.util.Arrays;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * An audio clip to caption, on {@code caption.audio}: key = clip id, value = the file's bytes as published (WAV,
 * ...), header {@code content-type} = the type sniffed from the bytes by the publisher. The same layout as
 * {@link ImageEvent}'s.
 */
public record AudioEvent(String id, String contentType, byte[] bytes) {

    public static final MessageCodec<AudioEvent> CODEC = new MessageCodec<>() {
        @Override
        public ProducerRecord<String, byte[]> toRecord(String topic, AudioEvent event) {
            return MediaRecords.toRecord(topic, event.id(), event.contentType(), event.bytes());
        }

        @Override
        public AudioEvent fromRecord(ConsumerRecord<String, byte[]> record) {
            return new AudioEvent(record.key(), MediaRecords.contentType(record, "audio record"), record.value());
        }
    };

    /** This clip as a submission to {@code topic}, with the headers every publisher sets (see {@link ImageEvent}). */
    public ProducerRecord<String, byte[]> submission(String topic, long submitTimeMillis) {
        return MediaRecords.submitted(CODEC.toRecord(topic, this), submitTimeMillis);
    }

    public AudioEvent {
        Messages.requireId(id, "AudioEvent");
        Messages.require(bytes != null && bytes.length > 0, "AudioEvent '" + id + "' has no audio bytes");
        Messages.require(contentType != null && !contentType.isBlank(), "AudioEvent '" + id + "' has no content type");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AudioEvent e && e.id.equals(id) && e.contentType.equals(contentType)
                && Arrays.equals(e.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return 31 * id.hashCode() + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "AudioEvent[id=" + id + ", contentType=" + contentType + ", " + bytes.length + " bytes]";
    }
}
