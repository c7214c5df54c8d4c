package dev.caption.broker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** For tests: the records of a topic as a read_committed consumer sees them, from the beginning. */
public final class CommittedRecords {

    private CommittedRecords() {
    }

    /** Polls every partition from the beginning until {@code count} records arrived or {@code timeout} passed. */
    public static List<ConsumerRecord<String, byte[]>> read(String bootstrap, String topic, int count, Duration timeout) {
        return read(bootstrap, topic, r -> true, count, timeout);
    }

    /** As {@link #read(String, String, int, Duration)}, keeping (and counting) only the records that match. */
    public static List<ConsumerRecord<String, byte[]>> read(String bootstrap, String topic,
                                                            java.util.function.Predicate<ConsumerRecord<String, byte[]>> keep,
                                                            int count, Duration timeout) {
        Map<String, Object> c = Map.of("bootstrap.servers", bootstrap, "isolation.level", "read_committed");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (keep.test(r)) {
                        out.add(r);
                    }
                });
            }
        }
        return out;
    }
}
