package dev.caption.core.loop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.caption.core.message.DeadLetter;

/**
 * The consume → process → produce loop every model stage runs, exactly once.
 *
 * <ol>
 *   <li><b>Collect.</b> Poll until {@code maxBatch} records are in hand or {@code maxWait} has passed since the
 *   first one arrived. Nothing is committed while collecting, so a crash here loses nothing.</li>
 *   <li><b>Process</b> the batch, outside any transaction ({@link RetryPolicy}: retry with backoff, then split to
 *   isolate the record at fault). A record that fails alone, or that the processor marks failed, becomes a dead
 *   letter ({@link OutputAssembler}).</li>
 *   <li><b>Commit</b> in one Kafka transaction: the outputs, the dead letters and the input offets
 *   ({@link TransactionalSink}). Consumers downstream read {@code read_committed}, so they see a batch's outputs
 *   exactly once or not at all.</li>
 * </ol>
 *
 * <p>A failed transaction is aborted and the consumer rewound to the batch's first offsets, so the batch is
 * processed again. What an error means is decided in one place, {@link KafkaErrors}: being fenced by another
 * instance, or refused by the cluster, is fatal (health FAILED, with one line saying why); the rest is retried.
 *
 * <p>Between any two processor calls the consumer polls (paused, so it fetches nothing), so only a single
 * processor call has to fit in {@code max.poll.interval.ms}, however long retries and bisection take.
 *
 * <p>{@link #close()} is graceful: collection stops, the in-flight batch is committed if it finishes within
 * {@code shutdownTimeout}, otherwise the thread is interrupted and its transaction aborted.
 */
public final class BatchLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchLoop.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(500);

    private final BatchLoopConfig config;
    private final BatchProcessor processor;
    private final LoopListener listener;
    private final KafkaClients clients;
    private final Time time;
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
    private volatile Consumer<String, byte[]> consumer;
    private volatile Thread thread;
    private TransactionalSink sink;
    /** The batch being collected; the rebalance listener drops records of revoked partitions from it. */
    private final List<ConsumerRecord<String, byte[]>> pending = new ArrayList<>();
    /** When the first record of the batch being collected arrived. */
    private long batchStartedNanos;

    public BatchLoop(BatchLoopConfig config, BatchProcessor processor, LoopListener listener) {
        this(builder(config, processor).listener(listener));
    }

    public BatchLoop(BatchLoopConfig config, BatchProcessor processor) {
        this(builder(config, processor));
    }

    private BatchLoop(Builder b) {
        this.config = b.config;
        this.processor = b.processor;
        this.listener = b.listener == null ? LoopListener.NONE : b.listener;
        this.clients = b.clients;
        this.time = b.time;
    }

    /** A loop of {@code processor} under {@code config}, with real clients and the system clock unless told otherwise. */
    public static Builder builder(BatchLoopConfig config, BatchProcessor processor) {
        return new Builder(config, processor);
    }

    public static final class Builder {
        private final BatchLoopConfig config;
        private final BatchProcessor processor;
        private LoopListener listener = LoopListener.NONE;
        private KafkaClients clients = KafkaClients.REAL;
        private Time time = Time.SYSTEM;

        private Builder(BatchLoopConfig config, BatchProcessor processor) {
            this.config = config;
            this.processor = processor;
        }

        public Builder listener(LoopListener listener) {
            this.listener = listener;
            return this;
        }

        /** Where the consumer and producers come from (tests: MockConsumer and MockProducer). */
        public Builder clients(KafkaClients clients) {
            this.clients = clients;
            return this;
        }

        /** The clock of backoffs and timings (tests: MockTime). */
        public Builder time(Time time) {
            this.time = time;
            return this;
        }

        public BatchLoop build() {
            return new BatchLoop(this);
        }
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
        Consumer<String, byte[]> c = consumer;
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
            consumer = clients.consumer(consumerConfig());
            sink = new TransactionalSink(config.stage(), config.kafka(), () -> clients.producer(producerConfig()), time, () -> stopping,
                    config.retryBackoff());
            sink.start(reason -> setHealth(Health.State.DEGRADED, reason));
            consumer.subscribe(config.inputTopics(), new Rebalance());
            setHealth(Health.State.UP, "consuming " + config.inputTopics());
            RetryPolicy policy = new RetryPolicy(config, time, this::keepAlive, () -> stopping, new RetryEvents());
            OutputAssembler assembler = new OutputAssembler(config.stage(), config.dlqTopic(), config.maxRecordBytes(), time);
            while (!stopping) {
                List<ConsumerRecord<String, byte[]>> batch = collect();
                // a batch collected but not yet processed when stop is asked is simply not committed
                if (!batch.isEmpty() && !stopping) {
                    processAndCommit(batch, policy, assembler);
                }
            }
            setHealth(Health.State.STOPPED, "stopped on request");
        } catch (BatchAborted e) {
            setHealth(Health.State.STOPPED, "stopped; in-flight batch aborted");
        } catch (FatalLoopError e) {
            LOG.error("{}: stopping: {}", config.stage(), e.getMessage());
            LOG.debug("{}: cause", config.stage(), e.getCause());
            setHealth(Health.State.FAILED, e.getMessage());
        } catch (WakeupException | InterruptException e) {
            setHealth(stopping ? Health.State.STOPPED : Health.State.FAILED,
                    stopping ? "stopped on request" : "interrupted: " + e);
        } catch (KafkaException e) {
            // the consumer's own errors (poll, subscribe): fatal ones get their one line, others crash the loop
            String line = KafkaErrors.classify(e) == KafkaErrors.Kind.FATAL ? KafkaErrors.describeFatal(config.stage(), config.kafka(), e)
                    : "loop crashed: " + DeadLetter.describe(e);
            LOG.error("{}: stopping: {}", config.stage(), line);
            setHealth(Health.State.FAILED, line);
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
                long remaining = deadline - time.nanoseconds();
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
            } catch (KafkaException e) {
                if (KafkaErrors.classify(e) == KafkaErrors.Kind.FATAL) {
                    throw new FatalLoopError(KafkaErrors.describeFatal(config.stage(), config.kafka(), e), e);
                }
                throw e;
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
                batchStartedNanos = time.nanoseconds();
                deadline = batchStartedNanos + config.maxWait().toNanos();
            }
            if (pending.size() >= config.maxBatch()) {
                break;
            }
        }
        return new ArrayList<>(pending);
    }

    /**
     * Polls with every partition paused, so the consumer stays in its group (max.poll.interval.ms) while a batch is
     * retried or split; anything a poll hands over anyway (a partition assigned during it) is sought back.
     */
    private void keepAlive() {
        Set<TopicPartition> paused = new HashSet<>(consumer.assignment());
        consumer.pause(paused);
        ConsumerRecords<String, byte[]> stray;
        try {
            stray = consumer.poll(Duration.ZERO);
        } catch (WakeupException e) {
            if (stopping) {
                return;
            }
            throw e;
        }
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : stray) {
            first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
        }
        first.forEach(consumer::seek);
        Set<TopicPartition> still = new HashSet<>(paused);
        still.retainAll(consumer.assignment());
        consumer.resume(still);
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

    // ---------------------------------------------------------------- process and commit

    private void processAndCommit(List<ConsumerRecord<String, byte[]>> batch, RetryPolicy policy,
                                  OutputAssembler assembler) {
        long polledAt = time.milliseconds();
        long t0 = time.nanoseconds();
        List<RecordOutcome> outcomes = policy.process(batch, processor);
        long t1 = time.nanoseconds();
        OutputAssembler.Assembled assembled = assembler.assemble(batch, outcomes);
        assembled.deadLetters().forEach(f -> listener.onDeadLetter(f.input(), f.error()));

        long t2 = time.nanoseconds();
        TransactionalSink.Result result = sink.commit(assembled.records(), offsets(batch), consumer.groupMetadata());
        if (result.aborted()) {
            aborted.incrementAndGet();
            listener.onTransactionAborted(result.error());
            setHealth(Health.State.DEGRADED, "transaction failed, batch will be retried: " + DeadLetter.describe(result.error()));
            LOG.warn("{}: transaction of {} records failed ({}); rewinding", config.stage(), batch.size(),
                    DeadLetter.describe(result.error()));
            rewind(batch);
            time.sleep(config.retryBackoff().toMillis());
            return;
        }
        long t3 = time.nanoseconds();
        recordsIn.addAndGet(batch.size());
        recordsOut.addAndGet(assembled.outputs());
        deadLetters.addAndGet(assembled.deadLetters().size());
        batches.incrementAndGet();
        if (health.state() == Health.State.DEGRADED) {
            setHealth(Health.State.UP, "recovered");
        }
        double queue = batch.stream().mapToLong(r -> Math.max(0, polledAt - r.timestamp())).average().orElse(0);
        listener.onBatchCommitted(new BatchReport(batch.size(), assembled.outputs(), assembled.deadLetters().size(), queue,
                t0 - batchStartedNanos, t1 - t0, t3 - t2));
    }

    /** The offsets to commit: one past the last record of each partition in the batch. */
    static Map<TopicPartition, OffsetAndMetadata> offsets(List<ConsumerRecord<String, byte[]>> batch) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> r : batch) {
            offsets.merge(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1),
                    (a, b) -> a.offset() >= b.offset() ? a : b);
        }
        return offsets;
    }

    private void rewind(List<ConsumerRecord<String, byte[]>> batch) {
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : batch) {
            first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
        }
        Set<TopicPartition> assigned = consumer.assignment();
        first.forEach((tp, offset) -> {
            if (assigned.contains(tp)) {
                consumer.seek(tp, offset);
            }
        });
    }

    /** Retries and splits as counters, listener calls and a DEGRADED health with the reason. */
    private final class RetryEvents implements RetryPolicy.Events {
        @Override
        public void onRetry(int batchSize, int attempt, Throwable error) {
            retries.incrementAndGet();
            listener.onBatchRetry(batchSize, attempt, error);
            setHealth(Health.State.DEGRADED, "batch of " + batchSize + " failed (attempt " + attempt + "): "
                    + DeadLetter.describe(error));
        }

        @Override
        public void onSplit(int batchSize, Throwable error) {
            splits.incrementAndGet();
            listener.onBatchSplit(batchSize, error);
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

    private Map<String, Object> producerConfig() {
        Map<String, Object> p = new LinkedHashMap<>(config.kafka().clientConfig());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, config.maxRecordBytes());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // The next transaction's first request waits on the previous one's commit markers
        // (CONCURRENT_TRANSACTIONS) and retries after this backoff: the 100 ms default costs ~40 ms a
        // transaction; 10 ms brings a local commit to ~16 ms (caption bench loop).
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 10);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, config.transactionalId());
        p.putAll(config.producerOverrides());
        return p;
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
        if (sink != null) {
            sink.close();
        }
        Consumer<String, byte[]> c = consumer;
        if (c != null) {
            try {
                // a dynamic member leaves either way; a static one stays for its restart unless told to leave
                c.close(CloseOptions.groupMembershipOperation(config.leaveGroupOnClose()
                        ? CloseOptions.GroupMembershipOperation.LEAVE_GROUP
                        : CloseOptions.GroupMembershipOperation.DEFAULT).withTimeout(Duration.ofSeconds(5)));
            } catch (RuntimeException e) {
                LOG.debug("{}: consumer close failed", config.stage(), e);
            }
        }
    }
}
