package dev.caption.core.loop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.utils.Time;

/**
 * What to do when the processor throws on a whole batch: retry it with exponential backoff, then split it in
 * halves (recursively, each half tried once) until every record is either processed or has failed alone. A batch of
 * N records costs at most {@code maxRetries + 1} calls, then {@code 2N - 2} calls more for the bisection.
 *
 * <p>Time between two consumer polls: {@link #keepAlive} is called before every retry, during backoffs (at least
 * every {@link #KEEP_ALIVE_EVERY}) and before every bisection call, so the consumer polls between any two processor
 * calls and its {@code max.poll.interval.ms} bounds one processor call, not a whole bisection. Pure apart from the
 * processor: time comes from {@link Time}, so tests run backoffs instantly.
 */
final class RetryPolicy {

    static final Duration KEEP_ALIVE_EVERY = Duration.ofSeconds(1);

    /** What the policy did, for metrics and health. */
    interface Events {
        /** The whole batch failed; it is retried after a backoff ({@code attempt} counts from 1). */
        void onRetry(int batchSize, int attempt, Throwable error);

        /** Retries ran out: the batch is split in two. */
        void onSplit(int batchSize, Throwable error);

        Events NONE = new Events() {
            @Override
            public void onRetry(int batchSize, int attempt, Throwable error) {
            }

            @Override
            public void onSplit(int batchSize, Throwable error) {
            }
        };
    }

    private final int maxRetries;
    private final Duration backoff;
    private final Duration maxBackoff;
    private final Time time;
    private final Runnable keepAlive;
    private final BooleanSupplier stopping;
    private final Events events;

    RetryPolicy(BatchLoopConfig config, Time time, Runnable keepAlive, BooleanSupplier stopping, Events events) {
        this(config.maxRetries(), config.retryBackoff(), config.maxRetryBackoff(), time, keepAlive, stopping, events);
    }

    RetryPolicy(int maxRetries, Duration backoff, Duration maxBackoff, Time time, Runnable keepAlive,
                BooleanSupplier stopping, Events events) {
        this.maxRetries = Math.max(0, maxRetries);
        this.backoff = backoff;
        this.maxBackoff = maxBackoff;
        this.time = time;
        this.keepAlive = keepAlive;
        this.stopping = stopping;
        this.events = events;
    }

    /** One outcome per record, in order; a record that fails alone is a {@link RecordOutcome.Fail}. */
    List<RecordOutcome> process(List<ConsumerRecord<String, byte[]>> batch, BatchProcessor processor) {
        return process(batch, processor, true);
    }

    private List<RecordOutcome> process(List<ConsumerRecord<String, byte[]>> batch, BatchProcessor processor,
                                        boolean retry) {
        int attempt = 0;
        while (true) {
            Attempt result = attempt(batch, processor);
            if (result.error() == null) {
                return result.outcomes();
            }
            Throwable error = result.error();
            if (retry && attempt < maxRetries) {
                attempt++;
                events.onRetry(batch.size(), attempt, error);
                sleep(delay(attempt));
                continue;
            }
            if (batch.size() == 1) {
                return List.of(RecordOutcome.fail(error));
            }
            events.onSplit(batch.size(), error);
            int half = batch.size() / 2;
            List<RecordOutcome> all = new ArrayList<>(batch.size());
            keepAlive.run();
            all.addAll(process(batch.subList(0, half), processor, false));
            keepAlive.run();
            all.addAll(process(batch.subList(half, batch.size()), processor, false));
            return all;
        }
    }

    /** One processor call: its outcomes (one per record), or the error that sank the whole batch. */
    private record Attempt(List<RecordOutcome> outcomes, Throwable error) {
    }

    private Attempt attempt(List<ConsumerRecord<String, byte[]>> batch, BatchProcessor processor) {
        if (Thread.currentThread().isInterrupted()) {
            throw new BatchAborted();
        }
        try {
            List<RecordOutcome> outcomes = processor.process(Collections.unmodifiableList(batch));
            if (outcomes != null && outcomes.size() == batch.size()) {
                return new Attempt(outcomes, null);
            }
            return new Attempt(null, new IllegalStateException("processor returned " + (outcomes == null ? "null"
                    : outcomes.size() + " outcomes") + " for " + batch.size() + " records"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BatchAborted();
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            if (stopping.getAsBoolean() && Thread.currentThread().isInterrupted()) {
                throw new BatchAborted();
            }
            return new Attempt(null, e);
        }
    }

    /** The {@code attempt}-th delay: the base doubled per attempt, capped. */
    long delay(int attempt) {
        long base = backoff.toMillis();
        return Math.min(maxBackoff.toMillis(), base << Math.min(attempt - 1, 20));
    }

    /** Sleeps {@code millis}, keeping the consumer alive meanwhile; stops early when the loop stops. */
    private void sleep(long millis) {
        long end = time.milliseconds() + millis;
        keepAlive.run();
        while (!stopping.getAsBoolean()) {
            long left = end - time.milliseconds();
            if (left <= 0) {
                return;
            }
            time.sleep(Math.min(left, KEEP_ALIVE_EVERY.toMillis()));
            if (Thread.currentThread().isInterrupted()) {
                throw new BatchAborted();
            }
            keepAlive.run();
        }
    }
}
