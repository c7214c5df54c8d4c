package dev.caption.core.loop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.DeadLetter;

/**
 * The consume → process → produce loop every model stage runs, exactly once.
 *
 * <ol>
 *   <li><b>Collect.</b> Poll until {@code maxBatch} records are in hand or {@code maxWait} has passed since the
 *   first one arrived. Nothing is committed while collecting, so a crash here loses nothing.</li>
 *   <li><b>Process</b> the batch, outside any transaction. If the processor throws, retry with exponential
 *   backoff; when retries run out, split the batch in halves (recursively) so that one bad record cannot sink its
 *   neighbours. A record that fails alone, or that the processor marks failed, becomes a dead letter.</li>
 *   <li><b>Commit</b> in one Kafka transaction: the outputs, the dead letters and the input offsets
 *   ({@code sendOffsetsToTransaction} with the consumer's group metadata, KIP-447). Consumers downstream read
 *   {@code read_committed}, so they see a batch's outputs exactly once or not at all.</li>
 * </ol>
 *
 * <p>A failed transaction is aborted and the consumer rewound to the batch's first offsets, so the batch is
 * processed again; a producer that cannot abort is replaced (its {@code initTransactions} fences the old epoch).
 * Being fenced by another instance with the same transactional id or group instance id is fatal: that other
 * instance owns the work now.
 *
 * <p>{@link #close()} is graceful: collection stops, the in-flight batch is committed if it finishes within
 * {@code shutdownTimeout}, otherwise the thread is interrupted and its transaction aborted.
 */
public final class BatchLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchLoop.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(500);
    private static final int RECORD_OVERHEAD_BYTES = 256;

    private final BatchLoopConfig config;
    private final BatchProcessor processor;
    private final LoopListener listener;
    private final CountDownLatch finished = new CountDownLatch(1);

    private final AtomicLong recordsIn = new AtomicLong();
    private final AtomicLong recordsOut = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong splits = new AtomicLong();
    private final AtomicLong aborted = new AtomicLong();

    private volatile boolean stopping;
    private volatile Health health = new Health(Health.State.STARTING, "not started");
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile Thread thread;
    private KafkaProducer<String, byte[]> producer;
    /** The batch being collected; the rebalance listener drops records of revoked partitions from it. */
    private final List<ConsumerRecord<String, byte[]>> pending = new ArrayList<>();
    /** When the first record of the batch being collected arrived. */
    private long batchStartedNanos;

    public BatchLoop(BatchLoopConfig config, BatchProcessor processor, LoopListener listener) {
        this.config = config;
        this.processor = processor;
        this.listener = listener == null ? LoopListener.NONE : listener;
    }

    public BatchLoop(BatchLoopConfig config, BatchProcessor processor) {
        this(config, processor, LoopListener.NONE);
    }

    /** Runs the loop on a new thread named after the stage. */
    public synchronized BatchLoop start() {
        if (thread != null) {
            throw new IllegalStateException("the " + config.stage() + " loop is already started");
        }
        Thread t = new Thread(this::run, "caption-" + config.stage() + "-loop");
        thread = t;
        t.start();
        return this;
    }

    public Health health() {
        return health;
    }

    public LoopStats stats() {
        return new LoopStats(recordsIn.get(), recordsOut.get(), deadLetters.get(), batches.get(), retries.get(),
                splits.get(), aborted.get());
    }

    public BatchLoopConfig config() {
        return config;
    }

    /** Waits for the loop to end (after close(), or a fatal error). */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops gracefully: finishes (or, past the shutdown timeout, aborts) the in-flight batch, closes the clients. */
    @Override
    public void close() {
        stopping = true;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        Thread t = thread;
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        try {
            if (!finished.await(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{}: in-flight batch did not finish within {}; aborting it", config.stage(),
                        config.shutdownTimeout());
                t.interrupt();
                finished.await(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The loop body; {@link #start()} runs it on its own thread, or call it from a thread you own. */
    public void run() {
        try {
            setHealth(Health.State.STARTING, "connecting to " + config.kafka().bootstrapServers());
            consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), new ByteArrayDeserializer());
            producer = newProducer();
            initTransactions();
            consumer.subscribe(config.inputTopics(), new Rebalance());
            setHealth(Health.State.UP, "consuming " + config.inputTopics());
            while (!stopping) {
                List<ConsumerRecord<String, byte[]>> batch = collect();
                // a batch collected but not yet processed when stop is asked is simply not committed
                if (!batch.isEmpty() && !stopping) {
                    processAndCommit(batch);
                }
            }
            setHealth(Health.State.STOPPED, "stopped on request");
        } catch (BatchAborted e) {
            setHealth(Health.State.STOPPED, "stopped; in-flight batch aborted");
        } catch (FatalLoopError e) {
            LOG.error("{}: stopping on an unrecoverable error: {}", config.stage(), e.getMessage());
            LOG.debug("{}: cause", config.stage(), e.getCause());
            setHealth(Health.State.FAILED, e.getMessage());
        } catch (WakeupException | InterruptException e) {
            setHealth(stopping ? Health.State.STOPPED : Health.State.FAILED,
                    stopping ? "stopped on request" : "interrupted: " + e);
        } catch (RuntimeException | Error e) {
            LOG.error("{}: loop crashed", config.stage(), e);
            setHealth(Health.State.FAILED, "loop crashed: " + DeadLetter.describe(e));
        } finally {
            closeQuietly();
            finished.countDown();
        }
    }

    // ---------------------------------------------------------------- collect

    private List<ConsumerRecord<String, byte[]>> collect() {
        pending.clear();
        long deadline = Long.MAX_VALUE;
        while (!stopping) {
            Duration timeout;
            if (pending.isEmpty()) {
                timeout = IDLE_POLL;
            } else {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    break;
                }
                timeout = Duration.ofNanos(remaining);
            }
            ConsumerRecords<String, byte[]> polled;
            try {
                polled = consumer.poll(timeout);
            } catch (WakeupException e) {
                if (stopping) {
                    pending.clear();     // never processed, never committed: the next owner reads them
                    break;
                }
                throw e;
            } catch (FencedInstanceIdException e) {
                throw new FatalLoopError(config.stage() + " was replaced by another consumer with group.instance.id '"
                        + config.instanceId() + "'", e);
            }
            if (polled.isEmpty()) {
                continue;
            }
            boolean wasEmpty = pending.isEmpty();
            Map<TopicPartition, Long> rewind = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : polled) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                if (pending.size() < config.maxBatch() && !rewind.containsKey(tp)) {
                    pending.add(r);
                } else {
                    rewind.putIfAbsent(tp, r.offset());
                }
            }
            // records past maxBatch are fetched again by the next poll
            rewind.forEach(consumer::seek);
            if (wasEmpty && !pending.isEmpty()) {
                batchStartedNanos = System.nanoTime();
                deadline = batchStartedNanos + config.maxWait().toNanos();
            }
            if (pending.size() >= config.maxBatch()) {
                break;
            }
        }
        return new ArrayList<>(pending);
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            pending.removeIf(r -> partitions.contains(new TopicPartition(r.topic(), r.partition())));
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            // positions come from the committed offsets
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            onPartitionsRevoked(partitions);
        }
    }

    // ---------------------------------------------------------------- process

    private void processAndCommit(List<ConsumerRecord<String, byte[]>> batch) {
        long polledAt = System.currentTimeMillis();
        long t0 = System.nanoTime();
        List<RecordOutcome> outcomes = processWithRetry(batch, true);
        long t1 = System.nanoTime();

        List<ProducerRecord<String, byte[]>> toSend = new ArrayList<>();
        int outputs = 0;
        int dead = 0;
        long emittedAt = System.currentTimeMillis();
        for (int i = 0; i < batch.size(); i++) {
            ConsumerRecord<String, byte[]> in = batch.get(i);
            RecordOutcome outcome = outcomes.get(i);
            Throwable failure = null;
            if (outcome instanceof RecordOutcome.Emit emit) {
                List<ProducerRecord<String, byte[]>> decorated = new ArrayList<>();
                for (ProducerRecord<String, byte[]> out : emit.records()) {
                    ProducerRecord<String, byte[]> d = decorate(out, in, emittedAt);
                    long size = estimatedSize(d);
                    if (size > config.maxRecordBytes()) {
                        failure = new RecordTooLargeException("output for " + d.topic() + " is about " + size
                                + " bytes, over the " + config.maxRecordBytes() + "-byte record limit");
                        break;
                    }
                    decorated.add(d);
                }
                if (failure == null) {
                    toSend.addAll(decorated);
                    outputs += decorated.size();
                }
            } else if (outcome instanceof RecordOutcome.Fail fail) {
                failure = fail.error();
            } else {
                failure = new IllegalStateException("processor returned no outcome for this record");
            }
            if (failure != null) {
                toSend.add(DeadLetter.CODEC.toRecord(config.dlqTopic(), DeadLetter.of(config.stage(), in, failure)));
                dead++;
                listener.onDeadLetter(in, failure);
            }
        }

        long t2 = System.nanoTime();
        if (!commit(toSend, batch)) {
            return;
        }
        long t3 = System.nanoTime();
        recordsIn.addAndGet(batch.size());
        recordsOut.addAndGet(outputs);
        deadLetters.addAndGet(dead);
        batches.incrementAndGet();
        if (health.state() == Health.State.DEGRADED) {
            setHealth(Health.State.UP, "recovered");
        }
        double queue = batch.stream().mapToLong(r -> Math.max(0, polledAt - r.timestamp())).average().orElse(0);
        listener.onBatchCommitted(new BatchReport(batch.size(), outputs, dead, queue, t0 - batchStartedNanos,
                t1 - t0, t3 - t2));
    }

    private List<RecordOutcome> processWithRetry(List<ConsumerRecord<String, byte[]>> batch, boolean retry) {
        int attempt = 0;
        while (true) {
            if (Thread.currentThread().isInterrupted()) {
                throw new BatchAborted();
            }
            Throwable error;
            try {
                List<RecordOutcome> outcomes = processor.process(Collections.unmodifiableList(batch));
                if (outcomes != null && outcomes.size() == batch.size()) {
                    return outcomes;
                }
                error = new IllegalStateException("processor returned " + (outcomes == null ? "null" : outcomes.size()
                        + " outcomes") + " for " + batch.size() + " records");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BatchAborted();
            } catch (Exception | OutOfMemoryError | StackOverflowError e) {
                if (stopping && Thread.currentThread().isInterrupted()) {
                    throw new BatchAborted();
                }
                error = e;
            }
            if (retry && attempt < config.maxRetries()) {
                attempt++;
                retries.incrementAndGet();
                listener.onBatchRetry(batch.size(), attempt, error);
                setHealth(Health.State.DEGRADED, "batch of " + batch.size() + " failed (attempt " + attempt + "): "
                        + DeadLetter.describe(error));
                backoff(attempt);
                continue;
            }
            if (batch.size() == 1) {
                return List.of(RecordOutcome.fail(error));
            }
            splits.incrementAndGet();
            listener.onBatchSplit(batch.size(), error);
            int half = batch.size() / 2;
            List<RecordOutcome> all = new ArrayList<>(processWithRetry(batch.subList(0, half), false));
            all.addAll(processWithRetry(batch.subList(half, batch.size()), false));
            return all;
        }
    }

    /** Copies trace context, submit time and earlier stage times from the input; stamps this stage's time. */
    private ProducerRecord<String, byte[]> decorate(ProducerRecord<String, byte[]> out,
                                                    ConsumerRecord<String, byte[]> in, long now) {
        Headers headers = new RecordHeaders();
        for (Header h : in.headers()) {
            if (h.key().equals(CaptionHeaders.TRACEPARENT) || h.key().equals(CaptionHeaders.SUBMIT_TIME)
                    || h.key().startsWith(CaptionHeaders.STAGE_TIME_PREFIX)) {
                headers.add(h);
            }
        }
        for (Header h : out.headers()) {
            headers.remove(h.key());
        }
        for (Header h : out.headers()) {
            headers.add(h);
        }
        CaptionHeaders.put(headers, CaptionHeaders.stageTimeKey(config.stage()), Long.toString(now));
        return new ProducerRecord<>(out.topic(), out.partition(), out.timestamp(), out.key(), out.value(), headers);
    }

    private static long estimatedSize(ProducerRecord<String, byte[]> r) {
        long size = RECORD_OVERHEAD_BYTES;
        if (r.key() != null) {
            size += r.key().getBytes(StandardCharsets.UTF_8).length;
        }
        if (r.value() != null) {
            size += r.value().length;
        }
        for (Header h : r.headers()) {
            size += h.key().length() + (h.value() == null ? 0 : h.value().length) + 8;
        }
        return size;
    }

    // ---------------------------------------------------------------- commit

    /** Produces and commits one transaction; on failure aborts, rewinds, and returns false. */
    private boolean commit(List<ProducerRecord<String, byte[]>> records, List<ConsumerRecord<String, byte[]>> batch) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> r : batch) {
            offsets.merge(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1),
                    (a, b) -> a.offset() >= b.offset() ? a : b);
        }
        try {
            producer.beginTransaction();
            for (ProducerRecord<String, byte[]> r : records) {
                producer.send(r);
            }
            producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            producer.commitTransaction();
            return true;
        } catch (ProducerFencedException | FencedInstanceIdException | AuthorizationException
                 | AuthenticationException | UnsupportedVersionException e) {
            throw new FatalLoopError(config.stage() + " was fenced or refused by the cluster: " + e.getMessage(), e);
        } catch (InterruptException e) {
            abortQuietly();
            throw new BatchAborted();
        } catch (KafkaException | IllegalStateException e) {
            aborted.incrementAndGet();
            listener.onTransactionAborted(e);
            setHealth(Health.State.DEGRADED, "transaction failed, batch will be retried: " + DeadLetter.describe(e));
            LOG.warn("{}: transaction of {} records failed ({}); rewinding", config.stage(), batch.size(),
                    DeadLetter.describe(e));
            recoverProducer();
            rewind(batch);
            backoff(1);
            return false;
        }
    }

    private void rewind(List<ConsumerRecord<String, byte[]>> batch) {
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : batch) {
            first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
        }
        var assigned = consumer.assignment();
        first.forEach((tp, offset) -> {
            if (assigned.contains(tp)) {
                consumer.seek(tp, offset);
            }
        });
    }

    private void recoverProducer() {
        try {
            producer.abortTransaction();
            return;
        } catch (ProducerFencedException e) {
            throw new FatalLoopError(config.stage() + " was fenced by another instance: " + e.getMessage(), e);
        } catch (InterruptException e) {
            throw new BatchAborted();
        } catch (RuntimeException e) {
            LOG.warn("{}: cannot abort the transaction ({}); replacing the producer", config.stage(), e.toString());
        }
        try {
            producer.close(Duration.ZERO);
        } catch (RuntimeException ignored) {
            // it is being replaced anyway
        }
        producer = newProducer();
        initTransactions();
    }

    private void initTransactions() {
        int attempt = 0;
        while (!stopping) {
            try {
                producer.initTransactions();
                return;
            } catch (ProducerFencedException | AuthorizationException | AuthenticationException
                     | UnsupportedVersionException e) {
                throw new FatalLoopError(config.stage() + " cannot start transactions: " + e.getMessage(), e);
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                attempt++;
                setHealth(Health.State.DEGRADED, "waiting for the transaction coordinator: " + e.getMessage());
                backoff(attempt);
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

    // ---------------------------------------------------------------- plumbing

    private Map<String, Object> consumerConfig() {
        Map<String, Object> c = new LinkedHashMap<>(config.kafka().clientConfig());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxBatch());
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Math.max(config.maxRecordBytes(), 1 << 20));
        c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Math.max(config.maxRecordBytes(), 52428800));
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, config.groupId() + "-" + config.instanceId());
        config.groupInstanceId().ifPresent(id -> c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        c.putAll(config.consumerOverrides());
        return c;
    }

    private KafkaProducer<String, byte[]> newProducer() {
        Map<String, Object> p = new LinkedHashMap<>(config.kafka().clientConfig());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, config.maxRecordBytes());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // The next transaction's first request waits on the previous one's commit markers
        // (CONCURRENT_TRANSACTIONS) and retries after this backoff: the 100 ms default costs ~40 ms a
        // transaction; 10 ms brings a local commit to ~16 ms (caption bench-loop).
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 10);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, config.transactionalId());
        p.putAll(config.producerOverrides());
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    private void backoff(int attempt) {
        long base = config.retryBackoff().toMillis();
        long delay = Math.min(config.maxRetryBackoff().toMillis(), base << Math.min(attempt - 1, 20));
        long end = System.currentTimeMillis() + delay;
        try {
            while (!stopping && System.currentTimeMillis() < end) {
                Thread.sleep(Math.min(50, Math.max(1, end - System.currentTimeMillis())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BatchAborted();
        }
    }

    private void setHealth(Health.State state, String detail) {
        Health previous = health;
        if (previous.state() != state || !previous.detail().equals(detail)) {
            Health next = new Health(state, detail);
            health = next;
            if (previous.state() != state) {
                LOG.info("{}: {} ({})", config.stage(), state, detail);
                listener.onHealthChange(next);
            }
        }
    }

    private void closeQuietly() {
        KafkaProducer<String, byte[]> p = producer;
        if (p != null) {
            try {
                p.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.debug("{}: producer close failed", config.stage(), e);
            }
        }
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            try {
                c.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.debug("{}: consumer close failed", config.stage(), e);
            }
        }
    }

    /** The in-flight batch was abandoned because the loop is stopping. */
    private static final class BatchAborted extends RuntimeException {
        BatchAborted() {
            super(null, null, false, false);
        }
    }

    private static final class FatalLoopError extends RuntimeException {
        FatalLoopError(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
