package dev.caption.cli.streams;

import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topics;

/** Reading a topic offline: a fresh consumer (read_committed, nothing committed) up to the end offsets taken at start. */
public final class TopicReplay {

    private TopicReplay() {
    }

    public static KafkaConsumer<String, byte[]> consumer(KafkaSettings settings, Topics topics, String purpose) {
        Map<String, Object> c = new LinkedHashMap<>(settings.clientConfig());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // no group: partitions are assigned and nothing is committed, so a reader needs no group ACL
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "caption-" + purpose + "-" + UUID.randomUUID());
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, topics.maxRecordBytes());
        return new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** The topic's partitions in order, or an error if it does not exist. */
    public static List<TopicPartition> partitions(KafkaConsumer<String, byte[]> consumer, String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalArgumentException("topic " + topic + " does not exist");
        }
        return infos.stream().map(i -> new TopicPartition(topic, i.partition()))
                .sorted(Comparator.comparingInt(TopicPartition::partition)).toList();
    }

    /** Every record of {@code topic} from the beginning up to the end offsets at the call. */
    public static void fromBeginning(KafkaConsumer<String, byte[]> consumer, String topic, Consumer<ConsumerRecord<String, byte[]>> sink) {
        List<TopicPartition> parts = partitions(consumer, topic);
        consumer.assign(parts);
        Map<TopicPartition, Long> end = consumer.endOffsets(parts);
        consumer.seekToBeginning(parts);
        drain(consumer, end, sink);
    }

    /** Polls until every partition reached its end offset (transaction markers count as read). */
    public static void drain(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end,
                      Consumer<ConsumerRecord<String, byte[]>> sink) {
        while (true) {
            boolean done = true;
            for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                if (consumer.position(e.getKey()) < e.getValue()) {
                    done = false;
                }
            }
            if (done) {
                return;
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                    sink.accept(r);
                }
            }
        }
    }
}
