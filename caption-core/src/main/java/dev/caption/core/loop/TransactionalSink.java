package dev.caption.core.loop;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.caption.core.kafka.KafkaSettings;

/**
 * A batch's outputs, dead letters and input offsets in one Kafka transaction: begin, send, send the offsets with the
 * consumer group's metadata (KIP-447), commit. A commit that fails is aborted; a producer that cannot abort is
 * closed and replaced (its successor's {@code initTransactions} fences it). Fatal errors (fenced, refused) end the
 * loop; everything else comes back as {@link Result#aborted()} for the loop to rewind and retry.
 */
final class TransactionalSink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TransactionalSink.class);

    /** How a commit went. */
    record Result(boolean committed, Throwable error) {
        static final Result COMMITTED = new Result(true, null);

        boolean aborted() {
            return !committed;
        }
    }

    private final String stage;
    private final KafkaSettings kafka;
    private final Supplier<Producer<String, byte[]>> factory;
    private final Time time;
    private final BooleanSupplier stopping;
    private final Duration initBackoff;
    private Producer<String, byte[]> producer;

    TransactionalSink(String stage, KafkaSettings kafka, Supplier<Producer<String, byte[]>> factory, Time time, BooleanSupplier stopping,
                      Duration initBackoff) {
        this.stage = stage;
        this.kafka = kafka;
        this.factory = factory;
        this.time = time;
        this.stopping = stopping;
        this.initBackoff = initBackoff;
    }

    /**
     * Creates the producer and initialises its transactions, waiting for the coordinator while it is unavailable;
     * {@code waiting} hears each wait. Fatal errors (another instance's id, no authorization) throw.
     */
    void start(java.util.function.Consumer<String> waiting) {
        producer = factory.get();
        initTransactions(waiting);
    }

    Result commit(List<ProducerRecord<String, byte[]>> records, Map<TopicPartition, OffsetAndMetadata> offsets,
                  ConsumerGroupMetadata group) {
        try {
            producer.beginTransaction();
            for (ProducerRecord<String, byte[]> r : records) {
                producer.send(r);
            }
            producer.sendOffsetsToTransaction(offsets, group);
            producer.commitTransaction();
            return Result.COMMITTED;
        } catch (InterruptException e) {
            abortQuietly();
            throw new BatchAborted();
        } catch (KafkaException | IllegalStateException e) {
            if (KafkaErrors.classify(e) == KafkaErrors.Kind.FATAL) {
                throw new FatalLoopError(KafkaErrors.describeFatal(stage, kafka, e), e);
            }
            recover();
            return new Result(false, e);
        }
    }

    /** Aborts the open transaction; a producer that cannot abort is replaced. */
    void recover() {
        try {
            producer.abortTransaction();
            return;
        } catch (InterruptException e) {
            throw new BatchAborted();
        } catch (RuntimeException e) {
            if (KafkaErrors.classify(e) == KafkaErrors.Kind.FATAL) {
                throw new FatalLoopError(KafkaErrors.describeFatal(stage, kafka, e), e);
            }
            LOG.warn("{}: cannot abort the transaction ({}); replacing the producer", stage, e.toString());
        }
        closeQuietly(Duration.ZERO);
        producer = factory.get();
        initTransactions(reason -> { });
    }

    private void initTransactions(java.util.function.Consumer<String> waiting) {
        int attempt = 0;
        while (!stopping.getAsBoolean()) {
            try {
                producer.initTransactions();
                return;
            } catch (TimeoutException e) {
                attempt++;
                waiting.accept("waiting for the transaction coordinator: " + e.getMessage());
                time.sleep(Math.min(10_000, initBackoff.toMillis() << Math.min(attempt - 1, 10)));
                if (Thread.currentThread().isInterrupted()) {
                    throw new BatchAborted();
                }
            } catch (InterruptException e) {
                throw new BatchAborted();
            } catch (KafkaException e) {
                if (KafkaErrors.classify(e) == KafkaErrors.Kind.FATAL) {
                    throw new FatalLoopError(KafkaErrors.describeFatal(stage, kafka, e), e);
                }
                throw new FatalLoopError(stage + " cannot start transactions: " + e.getMessage(), e);
            }
        }
        throw new BatchAborted();
    }

    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (RuntimeException ignored) {
            // closing the producer aborts nothing, but the next initTransactions with this id does
        }
    }

    private void closeQuietly(Duration timeout) {
        if (producer != null) {
            try {
                producer.close(timeout);
            } catch (RuntimeException e) {
                LOG.debug("{}: producer close failed", stage, e);
            }
        }
    }

    @Override
    public void close() {
        closeQuietly(Duration.ofSeconds(5));
    }
}
