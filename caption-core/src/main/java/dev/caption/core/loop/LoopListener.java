package dev.caption.core.loop;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Metrics hooks. Called on the loop thread; implementations must be quick and must not throw.
 * Every method has a no-op default, so a listener implements only what it records.
 */
public interface LoopListener {

    /** A batch was committed. */
    default void onBatchCommitted(BatchReport report) {
    }

    /** The processor threw on a whole batch; {@code attempt} counts from 1. */
    default void onBatchRetry(int batchSize, int attempt, Throwable error) {
    }

    /** Retries ran out and the batch is split in two. */
    default void onBatchSplit(int batchSize, Throwable error) {
    }

    default void onDeadLetter(ConsumerRecord<String, byte[]> record, Throwable error) {
    }

    /** A transaction was aborted (its batch will be processed again). */
    default void onTransactionAborted(Throwable error) {
    }

    default void onHealthChange(Health health) {
    }

    LoopListener NONE = new LoopListener() {
    };
}
