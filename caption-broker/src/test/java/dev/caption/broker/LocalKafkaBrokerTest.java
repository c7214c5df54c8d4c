package dev.caption.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKafkaBrokerTest {

    @Test
    void keepsTopicsAndRecordsAcrossARestartOnTheSameDataDirectory() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder().build().start()) {
            String bootstrap = broker.bootstrapServers();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                admin.createTopics(List.of(new NewTopic("t", 2, (short) 1))).all().get();
            }
            produce(bootstrap, "before");

            broker.stop();
            assertFalse(broker.isRunning());
            broker.start();
            assertEquals(bootstrap, broker.bootstrapServers(), "the broker comes back on the same port");

            produce(bootstrap, "after");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                assertTrue(admin.listTopics().names().get().contains("t"));
            }
            assertEquals(List.of("before", "after"), readAll(bootstrap));
        }
    }

    @Test
    void aSecuredBrokerReachedByAnotherNameHasItInItsCertificateAndItsClientFiles(@TempDir Path data) throws Exception {
        // 127.0.0.2 is loopback too, but not a name the certificate has by default: the TLS handshake checks it
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder().dataDir(data).secured(List.of("reader"))
                .host("127.0.0.2").listenAddress("0.0.0.0").build().start()) {
            Properties file = new Properties();
            try (var in = Files.newBufferedReader(broker.security().orElseThrow().clientConfigFile("reader"))) {
                file.load(in);
            }
            assertEquals("127.0.0.2:" + broker.port(), file.getProperty("bootstrap.servers"));
            try (Admin admin = Admin.create(file)) {
                assertEquals(1, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
            }
            broker.stop();
            IllegalStateException other = assertThrows(IllegalStateException.class, () -> LocalKafkaBroker.builder()
                    .dataDir(data).secured(List.of("reader")).host("kafka").build());
            assertTrue(other.getMessage().contains("does not name kafka"), other.getMessage());
        }
    }

    private static void produce(String bootstrap, String value) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("t", 0, "k", value)).get();
        }
    }

    private static List<String> readAll(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition("t", 0);
            consumer.assign(Set.of(tp));
            consumer.seekToBeginning(Set.of(tp));
            long end = consumer.endOffsets(Set.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }
}
