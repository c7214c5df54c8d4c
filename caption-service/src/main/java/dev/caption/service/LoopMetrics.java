package dev.caption.service;

import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import dev.caption.core.loop.BatchReport;
import dev.caption.core.loop.LoopListener;
import dev.caption.core.message.DeadLetter;

/** The batch loop's hooks as Micrometer meters ({@code /q/metrics}), tagged with the stage. */
public final class LoopMetrics implements LoopListener {

    private static final Logger LOG = Logger.getLogger(LoopMetrics.class);

    private final Counter recordsIn;
    private final Counter recordsOut;
    private final DeadLetterLog deadLetters;
    private final Counter retries;
    private final Counter aborted;
    private final BatchMeters batches;
    private final Timer commitTime;
    private final Timer queueTime;

    public LoopMetrics(MeterRegistry registry, String stage) {
        recordsIn = registry.counter("caption.records.in", "stage", stage);
        recordsOut = registry.counter("caption.records.out", "stage", stage);
        deadLetters = new DeadLetterLog(registry, stage, Time.SYSTEM, LOG::warn);
        retries = registry.counter("caption.batch.retries", "stage", stage);
        aborted = registry.counter("caption.transactions.aborted", "stage", stage);
        batches = new BatchMeters(registry, stage);
        commitTime = Timer.builder("caption.batch.commit").tag("stage", stage).register(registry);
        queueTime = Timer.builder("caption.queue.time").tag("stage", stage).register(registry);
    }

    @Override
    public void onBatchCommitted(BatchReport r) {
        recordsIn.increment(r.records());
        recordsOut.increment(r.outputs());
        batches.record(r.records(), r.processNanos());
        commitTime.record(r.commitNanos(), TimeUnit.NANOSECONDS);
        queueTime.record((long) r.queueMillis(), TimeUnit.MILLISECONDS);
        LOG.debugf("batch of %d records (%d out, %d dead letters): waited %.0f ms in Kafka, collected in %.0f ms, "
                + "processed in %.0f ms, committed in %.0f ms", r.records(), r.outputs(), r.deadLetters(), r.queueMillis(),
                r.collectNanos() / 1e6, r.processNanos() / 1e6, r.commitNanos() / 1e6);
    }

    @Override
    public void onDeadLetter(ConsumerRecord<String, byte[]> record, Throwable error) {
        deadLetters.record(record.key(), error.getClass().getSimpleName(), DeadLetter.describe(error), record.topic(),
                record.partition(), record.offset());
    }

    @Override
    public void onBatchRetry(int batchSize, int attempt, Throwable error) {
        retries.increment();
    }

    @Override
    public void onTransactionAborted(Throwable error) {
        aborted.increment();
    }
}
