package dev.caption.core.loop;

import dev.caption.core.kafka.KafkaSettings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.MockTime;
import org.junit.jupiter.api.Test;

class TransactionalSinkTest {

    private final MockTime time = new MockTime(0, 0, 0);
    private final List<MockProducer<String, byte[]>> producers = new ArrayList<>();
    private final TransactionalSink sink = new TransactionalSink("stage", KafkaSettings.of("localhost:9092"), () -> {
        MockProducer<String, byte[]> p = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        producers.add(p);
        return p;
    }, time, () -> false, Duration.ofMillis(100));

    private static final Map<TopicPartition, OffsetAndMetadata> OFFSETS = Map.of(new TopicPartition("in", 0), new OffsetAndMetadata(5));
    private static final ConsumerGroupMetadata GROUP = new ConsumerGroupMetadata("caption-stage");

    private static List<ProducerRecord<String, byte[]>> records() {
        return List.of(new ProducerRecord<>("out", "a", new byte[] {1}), new ProducerRecord<>("dlq", "b", new byte[] {2}));
    }

    @Test
    void outputsAndOffsetsAreCommittedInOneTransaction() {
        sink.start(reason -> { });
        assertTrue(sink.commit(records(), OFFSETS, GROUP).committed());
        MockProducer<String, byte[]> p = producers.get(0);
        assertTrue(p.transactionCommitted());
        assertEquals(2, p.history().size());
        assertEquals(List.of(Map.of("caption-stage", OFFSETS)), p.consumerGroupOffsetsHistory());
    }

    @Test
    void aFailedCommitIsAbortedAndReportedAndTheProducerKept() {
        sink.start(reason -> { });
        producers.get(0).commitTransactionException = new KafkaException("coordinator moved");
        TransactionalSink.Result r = sink.commit(records(), OFFSETS, GROUP);
        assertTrue(r.aborted());
        assertEquals("coordinator moved", r.error().getMessage());
        assertTrue(producers.get(0).transactionAborted());
        assertEquals(1, producers.size());
    }

    @Test
    void aProducerThatCannotAbortIsReplacedAndItsSuccessorInitialised() {
        sink.start(reason -> { });
        producers.get(0).commitTransactionException = new KafkaException("lost");
        producers.get(0).abortTransactionException = new IllegalStateException("cannot abort");
        assertTrue(sink.commit(records(), OFFSETS, GROUP).aborted());
        assertEquals(2, producers.size());
        assertTrue(producers.get(0).closed());
        assertTrue(producers.get(1).transactionInitialized());
        assertTrue(sink.commit(records(), OFFSETS, GROUP).committed(), "the new producer commits");
    }

    @Test
    void beingFencedOrRefusedIsFatal() {
        sink.start(reason -> { });
        producers.get(0).commitTransactionException = new ProducerFencedException("epoch bumped by a successor");
        FatalLoopError fenced = assertThrows(FatalLoopError.class, () -> sink.commit(records(), OFFSETS, GROUP));
        assertTrue(fenced.getMessage().startsWith("stage was fenced by another instance with its id"), fenced.getMessage());

        TransactionalSink other = new TransactionalSink("stage", KafkaSettings.of("localhost:9092"), () -> {
            MockProducer<String, byte[]> p = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
            p.initTransactionException = new TopicAuthorizationException("Not authorized to access topics: [caption.captions]");
            return p;
        }, time, () -> false, Duration.ofMillis(100));
        FatalLoopError refused = assertThrows(FatalLoopError.class, () -> other.start(reason -> { }));
        assertEquals("stage is not authorized as no login over PLAINTEXT to localhost:9092: Not authorized to access topics: [caption.captions]", refused.getMessage());
    }

    @Test
    void startWaitsForTheCoordinatorWithBackoff() {
        List<String> waits = new ArrayList<>();
        int[] left = {3};
        TransactionalSink slow = new TransactionalSink("stage", KafkaSettings.of("localhost:9092"), () -> new MockProducer<>(true, null, new StringSerializer(),
                new ByteArraySerializer()) {
            @Override
            public void initTransactions() {
                if (left[0]-- > 0) {
                    throw new TimeoutException("coordinator not available");
                }
                super.initTransactions();
            }
        }, time, () -> false, Duration.ofMillis(100));
        slow.start(waits::add);
        assertEquals(3, waits.size());
        assertEquals(100 + 200 + 400, time.milliseconds());
        assertFalse(waits.isEmpty());
    }
}
