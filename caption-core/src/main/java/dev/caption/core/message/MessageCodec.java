package dev.caption.core.message;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Maps one message type to Kafka records and back: key = image id, value = payload, headers = content type and
 * whatever else the type carries. Decoding validates and throws {@link MalformedMessageException} with a reason
 * fit for a dead-letter header.
 */
public interface MessageCodec<T> {

    ProducerRecord<String, byte[]> toRecord(String topic, T message);

    T fromRecord(ConsumerRecord<String, byte[]> record);
}
