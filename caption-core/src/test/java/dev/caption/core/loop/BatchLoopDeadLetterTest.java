package dev.caption.core.loop;

import static dev.caption.core.loop.KafkaTestSupport.record;
import static dev.caption.core.loop.KafkaTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.caption.broker.LocalKafkaExtension;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.DeadLetter;

class BatchLoopDeadLetterTest {

    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    @Test
    void aPoisonRecordThatSinksWholeBatchesIsIsolatedBySplittingAndDeadLettered() throws Exception {
        String bootstrap = KAFKA.bootstrapServers();
        KafkaTestSupport.createTopics(bootstrap, 2, "p.in", "p.out", "p.dlq");
        List<ProducerRecord<String, byte[]>> inputs = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            inputs.add(record("p.in", "k" + (i % 7), i == 150 ? "POISON" : "good-" + i));
        }
        KafkaTestSupport.produce(bootstrap, inputs);

        AtomicInteger retries = new AtomicInteger();
        AtomicInteger splits = new AtomicInteger();
        AtomicInteger deadLetters = new AtomicInteger();
        LoopListener listener = new LoopListener() {
            @Override
            public void onBatchRetry(int batchSize, int attempt, Throwable error) {
                retries.incrementAndGet();
            }

            @Override
            public void onBatchSplit(int batchSize, Throwable error) {
                splits.incrementAndGet();
            }

            @Override
            public void onDeadLetter(ConsumerRecord<String, byte[]> record, Throwable error) {
                deadLetters.incrementAndGet();
            }
        };
        // a batch-level failure: the processor throws on any batch that contains the poison
        BatchProcessor processor = batch -> {
            if (batch.stream().anyMatch(r -> text(r).equals("POISON"))) {
                throw new IllegalStateException("tensor shape mismatch in batch (poison record)");
            }
            return UppercaseStage.processor("p.out", 0).process(batch);
        };
        BatchLoopConfig config = UppercaseStage.config(bootstrap, "p.in", "p.dlq")
                .instanceId("poison-1").maxRetries(2).retryBackoff(Duration.ofMillis(5)).build();
        try (BatchLoop loop = new BatchLoop(config, processor, listener).start();
             KafkaTestSupport.CommittedReader out = new KafkaTestSupport.CommittedReader(bootstrap, "p.out");
             KafkaTestSupport.CommittedReader dlq = new KafkaTestSupport.CommittedReader(bootstrap, "p.dlq")) {
            List<ConsumerRecord<String, byte[]>> outputs = out.readAtLeast(299, Duration.ofSeconds(60));
            List<ConsumerRecord<String, byte[]>> letters = dlq.readAtLeast(1, Duration.ofSeconds(60));

            Set<String> expected = inputs.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .filter(v -> !v.equals("POISON")).map(String::toUpperCase).collect(Collectors.toSet());
            assertEquals(expected, outputs.stream().map(KafkaTestSupport::text).collect(Collectors.toSet()));
            assertEquals(299, out.readToEnd().size(), "every good record exactly once");

            assertEquals(1, dlq.readToEnd().size());
            ConsumerRecord<String, byte[]> letter = letters.get(0);
            assertEquals("POISON", text(letter));
            assertEquals("k3", letter.key());
            assertEquals("upper", CaptionHeaders.get(letter.headers(), CaptionHeaders.DLQ_STAGE));
            assertEquals("java.lang.IllegalStateException",
                    CaptionHeaders.get(letter.headers(), CaptionHeaders.DLQ_ERROR_CLASS));
            assertEquals("tensor shape mismatch in batch (poison record)",
                    CaptionHeaders.get(letter.headers(), CaptionHeaders.DLQ_REASON));
            assertEquals("p.in", CaptionHeaders.get(letter.headers(), CaptionHeaders.DLQ_ORIGIN_TOPIC));
            DeadLetter decoded = DeadLetter.CODEC.fromRecord(letter);
            assertTrue(decoded.originOffset() >= 0 && decoded.originPartition() >= 0);

            assertEquals(2, retries.get(), "the first failing batch is retried maxRetries times");
            assertTrue(splits.get() >= 1, "then split");
            assertEquals(1, deadLetters.get());
            assertEquals(Health.State.UP, loop.health().state(), "the stage keeps running");
            LoopStats stats = loop.stats();
            assertEquals(300, stats.recordsIn());
            assertEquals(299, stats.recordsOut());
            assertEquals(1, stats.deadLetters());
        }
    }

    @Test
    void recordsTheProcessorRejectsAndOutputsOverTheSizeLimitAreDeadLetteredWithoutStoppingTheBatch()
            throws Exception {
        String bootstrap = KAFKA.bootstrapServers();
        KafkaTestSupport.createTopics(bootstrap, 1, "r.in", "r.out", "r.dlq");
        List<ProducerRecord<String, byte[]>> inputs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            inputs.add(record("r.in", "id-" + i, i == 5 ? "{not json" : i == 9 ? "HUGE" : "ok-" + i));
        }
        KafkaTestSupport.produce(bootstrap, inputs);
        BatchProcessor processor = BatchProcessor.perRecord(r -> {
            String v = text(r);
            if (v.startsWith("{")) {
                throw new IllegalArgumentException("malformed JSON at column 2");
            }
            byte[] out = v.equals("HUGE") ? new byte[64 * 1024] : v.toUpperCase().getBytes(StandardCharsets.UTF_8);
            return List.of(new ProducerRecord<>("r.out", r.key(), out));
        });
        BatchLoopConfig config = UppercaseStage.config(bootstrap, "r.in", "r.dlq")
                .instanceId("reject-1").maxRecordBytes(16 * 1024).build();
        try (BatchLoop loop = new BatchLoop(config, processor).start();
             KafkaTestSupport.CommittedReader out = new KafkaTestSupport.CommittedReader(bootstrap, "r.out");
             KafkaTestSupport.CommittedReader dlq = new KafkaTestSupport.CommittedReader(bootstrap, "r.dlq")) {
            assertEquals(38, out.readAtLeast(38, Duration.ofSeconds(60)).size());
            List<ConsumerRecord<String, byte[]>> letters = dlq.readAtLeast(2, Duration.ofSeconds(60));
            Set<String> reasons = new HashSet<>();
            for (ConsumerRecord<String, byte[]> l : letters) {
                reasons.add(l.key() + ": " + CaptionHeaders.get(l.headers(), CaptionHeaders.DLQ_REASON));
            }
            assertTrue(reasons.contains("id-5: malformed JSON at column 2"), reasons.toString());
            assertTrue(reasons.stream().anyMatch(r -> r.startsWith("id-9: ") && r.contains("record limit")),
                    reasons.toString());
            // outputs carry the input's key and the stage's emit time
            ConsumerRecord<String, byte[]> first = out.readToEnd().get(0);
            assertTrue(CaptionHeaders.stageTimes(first.headers()).containsKey("upper"));
            assertEquals(Health.State.UP, loop.health().state());
        }
    }
}
