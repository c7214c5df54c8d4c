package dev.caption.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.caption.broker.BrokerSecurity;
import dev.caption.broker.LocalKafkaBroker;
import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.PipelineAcls;
import dev.caption.core.kafka.PipelineRole;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;

/**
 * The secured local broker (SASL_SSL, SCRAM-SHA-512, StandardAuthorizer, no access without an ACL) with the
 * pipeline's ACLs: who gets in, what each principal may do, and what a refused stage says.
 */
class SecuredClusterTest {

    private static final Topics TOPICS = Topics.withPrefix("sec.").withPartitions(1);
    private static LocalKafkaBroker broker;

    @BeforeAll
    static void start() {
        broker = LocalKafkaBroker.builder()
                .secured(PipelineRole.defaultUsers())
                .build().start();
        KafkaSettings admin = settings(BrokerSecurity.ADMIN);
        TopicAdmin.ensure(admin, TOPICS);
        PipelineAcls.of(TOPICS).apply(admin);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static KafkaSettings settings(String user) {
        return KafkaSettings.fromClientConfig(broker.clientProperties(user));
    }

    private static KafkaSettings settings(PipelineRole role) {
        return settings(role.defaultUser());
    }

    private static String name(Topic t) {
        return TOPICS.name(t);
    }

    @Test
    void thePrincipalsClientFileIsAllAClientNeeds() throws Exception {
        KafkaSettings fromFile = KafkaSettings.resolve(null,
                broker.security().orElseThrow().clientConfigFile(PipelineRole.READER.defaultUser()));
        try (Admin admin = Admin.create(fromFile.clientConfig())) {
            assertTrue(admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(name(Topic.CAPTIONS)));
        }
    }

    @Test
    void aPlaintextClientIsRefused() {
        Map<String, Object> plain = new HashMap<>(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 4000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000));
        try (Admin admin = Admin.create(plain)) {
            // the TLS listener drops the plaintext bytes: the client never gets an answer
            assertThrows(ExecutionException.class, () -> admin.listTopics().names().get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aWrongPasswordIsRefusedWithAnAuthenticationError() {
        Map<String, Object> c = new HashMap<>(broker.security().orElseThrow()
                .clientProperties(PipelineRole.ENCODER.defaultUser(), "not-the-password"));
        c.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (Admin admin = Admin.create(c)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.listTopics().names().get(30, TimeUnit.SECONDS));
            assertInstanceOf(SaslAuthenticationException.class, e.getCause());
        }
    }

    @Test
    void aClientThatDoesNotTrustTheBrokersCertificateIsRefused() {
        Map<String, Object> c = new HashMap<>(broker.clientProperties(PipelineRole.ENCODER.defaultUser()));
        c.remove("ssl.truststore.type");
        c.remove("ssl.truststore.location");   // the JDK's public CAs do not include the local broker's
        try (Admin admin = Admin.create(c)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.listTopics().names().get(30, TimeUnit.SECONDS));
            assertInstanceOf(SslAuthenticationException.class, e.getCause());
        }
    }

    @Test
    void aStageCannotReadAnotherStagesInput() {
        Map<String, Object> c = consumerConfig(PipelineRole.ENCODER, PipelineRole.stageGroupId("encoder"));
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(name(Topic.PREFIXES)));
            assertThrows(TopicAuthorizationException.class, () -> pollUntilError(consumer));
        }
    }

    @Test
    void theEncoderCannotWriteCaptions() throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer(PipelineRole.ENCODER, Map.of())) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> producer.send(
                    new ProducerRecord<>(name(Topic.CAPTIONS), "k", new byte[1])).get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, e.getCause());
        }
    }

    @Test
    void aStageCannotJoinAnotherStagesGroup() {
        Map<String, Object> c = consumerConfig(PipelineRole.ENCODER, PipelineRole.stageGroupId("llm"));
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(name(Topic.IMAGES)));
            assertThrows(GroupAuthorizationException.class, () -> pollUntilError(consumer));
        }
    }

    @Test
    void aStageCannotUseAnotherStagesTransactionalId() {
        try (KafkaProducer<String, byte[]> producer = producer(PipelineRole.ENCODER,
                Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, PipelineRole.stageGroupId("llm") + "-intruder"))) {
            assertThrows(TransactionalIdAuthorizationException.class, producer::initTransactions);
        }
    }

    @Test
    void thePublisherCannotReadAndTheReaderCannotWrite() throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer(PipelineRole.READER, Map.of())) {
            // with no WRITE anywhere, the reader may not even start an idempotent producer (cluster authorization)
            Exception e = assertThrows(Exception.class, () -> producer.send(
                    new ProducerRecord<>(name(Topic.IMAGES), "k", new byte[1])).get(30, TimeUnit.SECONDS));
            assertTrue(causes(e).stream().anyMatch(AuthorizationException.class::isInstance), e.toString());
        }
        Map<String, Object> c = consumerConfig(PipelineRole.PUBLISHER, PipelineRole.READER_GROUP_PREFIX + "x");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(name(Topic.CAPTIONS)));
            assertThrows(GroupAuthorizationException.class, () -> pollUntilError(consumer));
        }
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> all = new ArrayList<>();
        for (Throwable c = t; c != null && !all.contains(c); c = c.getCause()) {
            all.add(c);
        }
        return all;
    }

    @Test
    void aStageUnderItsOwnPrincipalProcessesEachRecordExactlyOnce() throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer(PipelineRole.PUBLISHER, Map.of())) {
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(name(Topic.IMAGES), "img-" + i,
                        ("image " + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            }
        }
        BatchLoopConfig config = BatchLoopConfig.builder("encoder").kafka(settings(PipelineRole.ENCODER))
                .inputTopic(name(Topic.IMAGES)).dlqTopic(name(Topic.DLQ)).maxWait(Duration.ofMillis(20)).build();
        try (BatchLoop loop = new BatchLoop(config, UppercaseStage.processor(name(Topic.FEATURES), 0), new LoopListener() { }).start();
             KafkaTestSupport.CommittedReader reader = new KafkaTestSupport.CommittedReader(
                     readerConfig(), name(Topic.FEATURES))) {
            Map<String, List<String>> out = KafkaTestSupport.valuesByKey(reader.readAtLeast(5, Duration.ofSeconds(60)));
            assertEquals(5, out.size(), out.toString());
            out.forEach((k, v) -> assertEquals(List.of("IMAGE " + k.substring(4)), v, k));
            assertEquals(Health.State.UP, loop.health().state(), loop.health().detail());
        }
    }

    @Test
    void aStageWithAWrongPasswordFailsWithOneLineNamingItsPrincipal() throws Exception {
        Map<String, String> wrong = new LinkedHashMap<>(broker.security().orElseThrow()
                .clientProperties(PipelineRole.ADAPTER.defaultUser(), "wrong-password"));
        wrong.put("bootstrap.servers", broker.bootstrapServers());
        BatchLoopConfig config = BatchLoopConfig.builder("adapter").kafka(KafkaSettings.fromClientConfig(wrong))
                .inputTopic(name(Topic.FEATURES)).dlqTopic(name(Topic.DLQ)).build();
        try (BatchLoop loop = new BatchLoop(config, UppercaseStage.processor(name(Topic.PREFIXES), 0), new LoopListener() { }).start()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (loop.health().state() != Health.State.FAILED && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Health h = loop.health();
            assertEquals(Health.State.FAILED, h.state(), h.detail());
            assertTrue(h.detail().startsWith("adapter could not authenticate as user caption-adapter (SCRAM-SHA-512) over SASL_SSL to "
                    + broker.bootstrapServers() + ": "), h.detail());
            assertFalse(h.detail().contains("\n"), h.detail());
            assertFalse(h.detail().contains("wrong-password"), h.detail());
        }
    }

    private static Map<String, Object> readerConfig() {
        return settings(PipelineRole.READER).clientConfig();
    }

    private static Map<String, Object> consumerConfig(PipelineRole role, String group) {
        Map<String, Object> c = new HashMap<>(settings(role).clientConfig());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);   // nothing to commit: only the refusal is wanted
        return c;
    }

    private static KafkaProducer<String, byte[]> producer(PipelineRole role, Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(settings(role).clientConfig());
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30000);
        c.putAll(extra);
        return new KafkaProducer<>(c, new StringSerializer(), new ByteArraySerializer());
    }

    /** Polls until the consumer throws (the broker's refusal), failing after 60 s of silence. */
    private static void pollUntilError(KafkaConsumer<String, byte[]> consumer) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200));
        }
        throw new AssertionError("no error within 60 s");
    }
}
