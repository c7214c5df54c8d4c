package dev.caption.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.MockTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.message.CaptionHeaders;

/** The loop with Kafka's MockConsumer and MockProducer and a MockTime: no broker, milliseconds. */
@Timeout(30)
class BatchLoopTest {

    private static final TopicPartition IN = new TopicPartition("in", 0);

    private final MockTime time = new MockTime(1, 0, 0);      // a millisecond passes whenever the loop looks
    private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
    private final List<MockProducer<String, byte[]>> producers = new ArrayList<>();
    private final KafkaClients clients = new KafkaClients() {
        @Override
        public Consumer<String, byte[]> consumer(Map<String, Object> config) {
            return consumer;
        }

        @Override
        public Producer<String, byte[]> producer(Map<String, Object> config) {
            MockProducer<String, byte[]> p = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
            producers.add(p);
            return p;
        }
    };

    private BatchLoop loop(BatchProcessor processor) {
        BatchLoopConfig config = BatchLoopConfig.builder("upper").kafka(KafkaSettings.of("mock:9092")).inputTopic("in")
                .dlqTopic("dlq").maxBatch(4).build();
        return BatchLoop.builder(config, processor).clients(clients).time(time).build();
    }

    /**
     * Assigns the partition and hands over {@code values}, up to a batch per poll (MockConsumer hands a record over
     * once, so the loop's seek past a full batch would lose the rest); stops the loop once they are done.
     */
    private void feed(BatchLoop loop, int expectedBatches, String... values) {
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(IN));
            consumer.updateBeginningOffsets(Map.of(IN, 0L));
        });
        for (int from = 0; from < values.length; from += 4) {
            int start = from;
            consumer.schedulePollTask(() -> add(start, java.util.Arrays.copyOfRange(values, start, Math.min(values.length, start + 4))));
        }
        stopAfter(loop, expectedBatches, 2000);
    }

    private void redeliverAfterRewind(BatchLoop loop) {
        consumer.schedulePollTask(() -> {
            if (loop.stats().abortedTransactions() == 1 && consumer.position(IN) == 0) {
                add(0, "a", "b");
            } else {
                redeliverAfterRewind(loop);
            }
        });
    }

    private void add(int firstOffset, String... values) {
        for (int i = 0; i < values.length; i++) {
            consumer.addRecord(new ConsumerRecord<>("in", 0, firstOffset + i, "k" + (firstOffset + i),
                    values[i].getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** At every poll: stop the loop once it committed {@code batches} (or, failing that, after {@code polls} polls). */
    private void stopAfter(BatchLoop loop, int batches, int polls) {
        consumer.schedulePollTask(() -> {
            if (loop.stats().batches() >= batches || polls <= 0 || loop.health().state() == Health.State.FAILED) {
                loop.close();
            } else {
                stopAfter(loop, batches, polls - 1);
            }
        });
    }

    private static final BatchProcessor UPPER = BatchProcessor.perRecord(r -> {
        String v = new String(r.value(), StandardCharsets.UTF_8);
        if (v.equals("bad")) {
            throw new IllegalArgumentException("cannot upper-case 'bad'");
        }
        return List.of(new ProducerRecord<>("out", r.key(), v.toUpperCase().getBytes(StandardCharsets.UTF_8)));
    });

    private static List<String> values(List<ProducerRecord<String, byte[]>> records, String topic) {
        return records.stream().filter(r -> r.topic().equals(topic)).map(r -> new String(r.value(), StandardCharsets.UTF_8))
                .collect(Collectors.toList());
    }

    @Test
    void eachBatchsOutputsDeadLettersAndOffsetsAreCommittedInOneTransaction() {
        BatchLoop loop = loop(UPPER);
        feed(loop, 3, "a", "b", "bad", "d", "e", "f", "g", "h", "i");
        loop.run();
        assertEquals(Health.State.STOPPED, loop.health().state());
        MockProducer<String, byte[]> p = producers.get(0);
        assertEquals(3, p.commitCount(), "batches of 4, 4 and 1");
        assertEquals(List.of("A", "B", "D", "E", "F", "G", "H", "I"), values(p.history(), "out"));
        assertEquals(List.of("bad"), values(p.history(), "dlq"));
        ProducerRecord<String, byte[]> dead = p.history().stream().filter(r -> r.topic().equals("dlq")).findFirst().orElseThrow();
        assertEquals("cannot upper-case 'bad'", CaptionHeaders.get(dead.headers(), CaptionHeaders.DLQ_REASON));
        List<Long> committed = p.consumerGroupOffsetsHistory().stream()
                .map(m -> m.values().iterator().next().get(IN)).map(OffsetAndMetadata::offset).toList();
        assertEquals(List.of(4L, 8L, 9L), committed);
        assertEquals(new LoopStats(9, 8, 1, 3, 0, 0, 0), loop.stats());
    }

    @Test
    void aFailedCommitIsAbortedAndTheBatchProcessedAgainSoEachOutputIsCommittedOnce() {
        int[] commits = {0};
        BatchLoop loop = loop(batch -> {
            if (commits[0]++ == 0) {
                producers.get(0).commitTransactionException = new KafkaException("coordinator moved");
            } else {
                producers.get(0).commitTransactionException = null;
            }
            return UPPER.process(batch);
        });
        feed(loop, 1, "a", "b");
        // the loop seeks back to the batch's first offset; a broker would hand the records over again
        redeliverAfterRewind(loop);
        loop.run();
        MockProducer<String, byte[]> p = producers.get(0);
        assertEquals(1, loop.stats().abortedTransactions());
        assertEquals(1, p.commitCount());
        assertEquals(List.of("A", "B"), values(p.history(), "out"), "the aborted transaction's records are not in the history");
        assertEquals(Map.of(IN, new OffsetAndMetadata(2)), p.consumerGroupOffsetsHistory().get(0).values().iterator().next());
    }

    @Test
    void aFencedProducerStopsTheLoopAsFailedWithOneLine() {
        BatchLoop loop = loop(batch -> {
            producers.get(0).commitTransactionException = new ProducerFencedException("a newer epoch exists");
            return UPPER.process(batch);
        });
        feed(loop, 1, "a");
        loop.run();
        assertEquals(Health.State.FAILED, loop.health().state());
        assertEquals("upper was fenced by another instance with its id: a newer epoch exists", loop.health().detail());
        assertTrue(consumer.closed());
    }

    @Test
    void whileABatchIsRetriedTheConsumerKeepsPollingWithItsPartitionsPaused() {
        List<Integer> pausedAtCall = new ArrayList<>();
        int[] calls = {0};
        BatchLoop loop = loop(batch -> {
            pausedAtCall.add(consumer.paused().size());
            if (calls[0]++ < 2) {
                throw new IllegalStateException("device busy");
            }
            return UPPER.process(batch);
        });
        feed(loop, 1, "a");
        loop.run();
        assertEquals(3, calls[0]);
        assertEquals(List.of(0, 0, 0), pausedAtCall, "partitions are resumed before each call");
        assertEquals(2, loop.stats().retries());
        assertEquals(List.of("A"), values(producers.get(0).history(), "out"));
    }
}
