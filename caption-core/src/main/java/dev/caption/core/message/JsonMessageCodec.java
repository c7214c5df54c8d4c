package dev.caption.core.message;

import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** Codec and Kafka serde for a JSON message type whose JSON carries its own id. */
public final class JsonMessageCodec<T> implements MessageCodec<T> {

    private final Class<T> type;
    private final Function<T, String> id;

    public JsonMessageCodec(Class<T> type, Function<T, String> id) {
        this.type = type;
        this.id = id;
    }

    @Override
    public ProducerRecord<String, byte[]> toRecord(String topic, T message) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, id.apply(message), Json.write(message));
        CaptionHeaders.put(record.headers(), CaptionHeaders.CONTENT_TYPE, CaptionHeaders.CONTENT_TYPE_JSON);
        return record;
    }

    @Override
    public T fromRecord(ConsumerRecord<String, byte[]> record) {
        T message = Json.read(record.value(), type);
        Messages.requireKey(record.key(), id.apply(message), type.getSimpleName());
        return message;
    }

    /** A Kafka serde (for Kafka Streams and plain clients) that writes and reads the same JSON. */
    public Serde<T> serde() {
        Serializer<T> serializer = new Serializer<>() {
            @Override
            public byte[] serialize(String topic, T data) {
                return data == null ? null : Json.write(data);
            }

            @Override
            public byte[] serialize(String topic, Headers headers, T data) {
                if (data != null) {
                    CaptionHeaders.put(headers, CaptionHeaders.CONTENT_TYPE, CaptionHeaders.CONTENT_TYPE_JSON);
                }
                return serialize(topic, data);
            }
        };
        Deserializer<T> deserializer = (topic, bytes) -> bytes == null ? null : Json.read(bytes, type);
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
