package dev.caption.core.loop;

import static dev.caption.core.loop.KafkaTestSupport.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import dev.caption.broker.LocalKafkaBroker;

class BatchLoopRecoveryTest {

    @Test
    void aBrokerRestartMidStreamLosesAndDuplicatesNothing() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder().build().start()) {
            String bootstrap = broker.bootstrapServers();
            KafkaTestSupport.createTopics(bootstrap, 3, "b.in", "b.out", "b.dlq");
            List<ProducerRecord<String, byte[]>> inputs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                inputs.add(record("b.in", "key-" + (i % 20), "value-" + i));
            }
            KafkaTestSupport.produce(bootstrap, inputs);

            BatchLoopConfig config = UppercaseStage.config(bootstrap, "b.in", "b.dlq").instanceId("restart-1")
                    .retryBackoff(Duration.ofMillis(100)).build();
            // 4 ms a record: the remaining 800 take at least 3.2 s, so the stop below lands mid-stream
            try (BatchLoop loop = new BatchLoop(config, UppercaseStage.processor("b.out", 4)).start()) {
                try (KafkaTestSupport.CommittedReader out = new KafkaTestSupport.CommittedReader(bootstrap, "b.out")) {
                    out.readAtLeast(200, Duration.ofSeconds(60));
                }
                long processedBeforeStop = loop.stats().recordsIn();
                broker.stop();
                broker.start();
                assertTrue(processedBeforeStop < 1000, "the broker went down mid-stream: " + processedBeforeStop);
                try (KafkaTestSupport.CommittedReader out = new KafkaTestSupport.CommittedReader(bootstrap, "b.out")) {
                    out.readAtLeast(1000, Duration.ofSeconds(180));
                    List<ConsumerRecord<String, byte[]>> all = out.readToEnd();
                    assertEquals(1000, all.size(), "nothing lost, nothing duplicated");
                    Map<String, List<String>> byKey = KafkaTestSupport.valuesByKey(all);
                    for (int k = 0; k < 20; k++) {
                        List<String> expected = new ArrayList<>();
                        for (int i = k; i < 1000; i += 20) {
                            expected.add("VALUE-" + i);
                        }
                        assertEquals(expected, byKey.get("key-" + k), "order of key-" + k);
                    }
                }
                assertTrue(loop.health().isAlive());
            }
        }
    }

    @Test
    void closeFinishesTheInFlightBatchAndCommitsItsOffsets() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder().build().start()) {
            String bootstrap = broker.bootstrapServers();
            KafkaTestSupport.createTopics(bootstrap, 1, "g.in", "g.out", "g.dlq");
            List<ProducerRecord<String, byte[]>> inputs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                inputs.add(record("g.in", "k", "v" + i));
            }
            KafkaTestSupport.produce(bootstrap, inputs);

            CountDownLatch inBatch = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            BatchProcessor slow = batch -> {
                inBatch.countDown();
                release.await();
                return UppercaseStage.processor("g.out", 0).process(batch);
            };
            BatchLoopConfig config = UppercaseStage.config(bootstrap, "g.in", "g.dlq").instanceId("graceful-1")
                    .maxBatch(10).shutdownTimeout(Duration.ofSeconds(60)).build();
            BatchLoop loop = new BatchLoop(config, slow).start();
            assertTrue(inBatch.await(60, TimeUnit.SECONDS));
            Thread closer = new Thread(loop::close);
            closer.start();
            release.countDown();           // the batch finishes while close() waits for it
            closer.join(60_000);
            assertEquals(Health.State.STOPPED, loop.health().state());

            int committedOutputs;
            try (KafkaTestSupport.CommittedReader out = new KafkaTestSupport.CommittedReader(bootstrap, "g.out")) {
                committedOutputs = out.readToEnd().size();
            }
            assertEquals(10, committedOutputs, "exactly the in-flight batch was committed");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(config.groupId())
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                assertEquals(10, offsets.get(new TopicPartition("g.in", 0)).offset());
            }

            // a successor picks up exactly where the first one stopped
            try (BatchLoop next = new BatchLoop(config, UppercaseStage.processor("g.out", 0)).start();
                 KafkaTestSupport.CommittedReader out = new KafkaTestSupport.CommittedReader(bootstrap, "g.out")) {
                out.readAtLeast(100, Duration.ofSeconds(60));
                assertEquals(100, out.readToEnd().size());
            }
        }
    }

    @Test
    void aSecondInstanceUnderTheSameIdFencesTheFirstAndNothingIsDuplicated() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder().build().start()) {
            String bootstrap = broker.bootstrapServers();
            KafkaTestSupport.createTopics(bootstrap, 2, "f.in", "f.out", "f.dlq");
            List<ProducerRecord<String, byte[]>> inputs = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                inputs.add(record("f.in", "k" + (i % 9), "v" + i));
            }
            KafkaTestSupport.produce(bootstrap, inputs);
            BatchLoopConfig config = UppercaseStage.config(bootstrap, "f.in", "f.dlq").instanceId("same").build();
            try (BatchLoop first = new BatchLoop(config, UppercaseStage.processor("f.out", 3)).start();
                 KafkaTestSupport.CommittedReader out = new KafkaTestSupport.CommittedReader(bootstrap, "f.out")) {
                out.readAtLeast(50, Duration.ofSeconds(60));
                try (BatchLoop second = new BatchLoop(config, UppercaseStage.processor("f.out", 0)).start()) {
                    out.readAtLeast(400, Duration.ofSeconds(120));
                    assertTrue(first.awaitTermination(Duration.ofSeconds(60)), "the fenced instance stops");
                    assertEquals(Health.State.FAILED, first.health().state());
                    assertTrue(first.health().detail().contains("fenced") || first.health().detail().contains("replaced"),
                            first.health().detail());
                    assertEquals(Health.State.UP, second.health().state());
                    assertEquals(400, out.readToEnd().size(), "no output twice, none lost");
                }
            }
        }
    }
}
