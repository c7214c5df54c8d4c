package dev.caption.core.loop;

import java.util.Map;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Where the loop's clients come from: real ones by default; tests hand in Kafka's MockConsumer and MockProducer.
 * The loop builds each client's configuration ({@code BatchLoopConfig} plus its Kafka settings) and passes it in.
 */
public interface KafkaClients {

    Consumer<String, byte[]> consumer(Map<String, Object> config);

    /** A new transactional producer; called again when a producer that cannot abort is replaced. */
    Producer<String, byte[]> producer(Map<String, Object> config);

    KafkaClients REAL = new KafkaClients() {
        @Override
        public Consumer<String, byte[]> consumer(Map<String, Object> config) {
            return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        }

        @Override
        public Producer<String, byte[]> producer(Map<String, Object> config) {
            return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        }
    };
}
