package dev.caption.core.loop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Plain-client helpers for tests on the real local broker. */
final class KafkaTestSupport {

    private KafkaTestSupport() {
    }

    static void createTopics(String bootstrap, int partitions, String... names) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            List<NewTopic> topics = new ArrayList<>();
            for (String n : names) {
                topics.add(new NewTopic(n, partitions, (short) 1));
            }
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        }
    }

    static void produce(String bootstrap, List<ProducerRecord<String, byte[]>> records) throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (ProducerRecord<String, byte[]> r : records) {
                producer.send(r);
            }
            producer.flush();
        }
    }

    static ProducerRecord<String, byte[]> record(String topic, String key, String value) {
        return new ProducerRecord<>(topic, key, value.getBytes(StandardCharsets.UTF_8));
    }

    static String text(ConsumerRecord<String, byte[]> r) {
        return new String(r.value(), StandardCharsets.UTF_8);
    }

    /** A read_committed reader of every partition of a topic, from the beginning. */
    static final class CommittedReader implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();

        CommittedReader(String bootstrap, String topic) {
            this(bootstrap, topic, "read_committed");
        }

        /** With {@code read_uncommitted}, it also shows records of aborted and open transactions. */
        CommittedReader(String bootstrap, String topic, String isolation) {
            this(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topic, isolation);
        }

        /** With any client properties (a secured cluster's login), read_committed. */
        CommittedReader(Map<String, Object> client, String topic) {
            this(client, topic, "read_committed");
        }

        private CommittedReader(Map<String, Object> client, String topic, String isolation) {
            Map<String, Object> c = new HashMap<>(client);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic)) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        /** Polls until {@code done} holds for what was read, or fails after {@code timeout}. */
        List<ConsumerRecord<String, byte[]>> readUntil(Predicate<List<ConsumerRecord<String, byte[]>>> done,
                                                      Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(records)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("condition not reached within " + timeout + "; read " + records.size()
                            + " records");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return List.copyOf(records);
        }

        List<ConsumerRecord<String, byte[]>> readAtLeast(int count, Duration timeout) {
            return readUntil(r -> r.size() >= count, timeout);
        }

        /** Everything up to the current end (the last stable offset, for read_committed). */
        List<ConsumerRecord<String, byte[]>> readToEnd() {
            Set<TopicPartition> assigned = consumer.assignment();
            Map<TopicPartition, Long> end = consumer.endOffsets(assigned);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (assigned.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read to the end offsets " + end);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return List.copyOf(records);
        }

        int size() {
            return records.size();
        }

        void pollOnce() {
            consumer.poll(Duration.ofMillis(100)).forEach(records::add);
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    /** Values grouped by key, in the order read (per key order holds because keys map to one partition). */
    static Map<String, List<String>> valuesByKey(List<ConsumerRecord<String, byte[]>> records) {
        return records.stream().collect(Collectors.groupingBy(ConsumerRecord::key, java.util.LinkedHashMap::new,
                Collectors.mapping(KafkaTestSupport::text, Collectors.toList())));
    }
}
