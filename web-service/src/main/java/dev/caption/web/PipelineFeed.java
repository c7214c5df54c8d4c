package dev.caption.web;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.core.loop.KafkaErrors;
import dev.caption.core.message.MalformedMessageException;
import dev.caption.core.message.PipelineEvent;
import dev.caption.core.message.RunMetrics;

/**
 * One consumer for every page: it reads the features, captions, scores and dead letters (from {@code replay}
 * ago) and the run metrics (from the start of the compacted topic), {@code read_committed}, with all partitions
 * assigned and no consumer group, so it takes no partition from any stage and needs no group ACL.
 *
 * <p>Each image's events are kept (the last {@code historyImages} images) and handed to every subscriber that
 * asks for that image, in pipeline order: a score that arrives before its caption (they are on different topics)
 * waits for it, and an ENCODED after the caption is dropped. A subscriber gets the kept events and then the new
 * ones, each once: both happen under one lock.
 */
final class PipelineFeed implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PipelineFeed.class);
    private static final List<Topic> EVENT_TOPICS = List.of(Topic.FEATURES, Topic.CAPTIONS, Topic.SCORES, Topic.DLQ);

    /** Someone watching: {@link #deliver} returns false once it no longer listens (its connection closed). */
    interface Subscriber {
        boolean deliver(PipelineEvent event);
    }

    /** What the feed does: STARTING, WAITING (for topics), RUNNING, FAILED (with an error line), STOPPED. */
    enum State { STARTING, WAITING, RUNNING, FAILED, STOPPED }

    private record Subscription(Set<String> ids, Subscriber subscriber) {
        boolean wants(String id) {
            return ids.isEmpty() || ids.contains(id);
        }
    }

    private final KafkaSettings settings;
    private final Topics topics;
    private final Duration replay;
    private final Map<String, Topic> byName = new HashMap<>();
    private final Object lock = new Object();
    /** image id -> its delivered events, oldest image first */
    private final LinkedHashMap<String, List<PipelineEvent>> history;
    /** image id -> a score that came before its caption */
    private final Map<String, PipelineEvent> early = new HashMap<>();
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final Map<String, RunMetrics> runs = new TreeMap<>();
    private final Thread thread;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile State state = State.STARTING;
    private volatile String error;
    private volatile boolean running = true;

    PipelineFeed(KafkaSettings settings, Topics topics, Duration replay, int historyImages) {
        this.settings = settings;
        this.topics = topics;
        this.replay = replay;
        for (Topic t : Topic.values()) {
            byName.put(topics.name(t), t);
        }
        this.history = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, List<PipelineEvent>> eldest) {
                return size() > historyImages;
            }
        };
        this.thread = new Thread(this::run, "pipeline-feed");
        this.thread.setDaemon(true);
    }

    PipelineFeed start() {
        thread.start();
        return this;
    }

    State state() {
        return state;
    }

    /** The line that stopped the feed, or null. */
    String error() {
        return error;
    }

    /** Every run's aggregates, by run, adapter and model. */
    List<RunMetrics> runs() {
        synchronized (lock) {
            return List.copyOf(runs.values());
        }
    }

    /**
     * Hands {@code subscriber} the kept events of {@code ids} (all images' when empty: only new ones then), then
     * every new one for them, until it declines one. Returns a handle for {@link #unsubscribe}.
     */
    Object subscribe(Set<String> ids, Subscriber subscriber) {
        Subscription s = new Subscription(Set.copyOf(ids), subscriber);
        synchronized (lock) {
            for (String id : ids) {
                for (PipelineEvent e : history.getOrDefault(id, List.of())) {
                    if (!subscriber.deliver(e)) {
                        return s;
                    }
                }
            }
            subscriptions.add(s);
        }
        return s;
    }

    void unsubscribe(Object handle) {
        synchronized (lock) {
            subscriptions.remove(handle);
        }
    }

    int subscribers() {
        synchronized (lock) {
            return subscriptions.size();
        }
    }

    private void run() {
        Map<String, Object> config = new LinkedHashMap<>(settings.clientConfig());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "caption-web");
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, topics.maxRecordBytes());
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer = c;
            if (!running) {
                return;
            }
            List<TopicPartition> partitions = awaitPartitions(c);
            if (partitions == null) {
                return;
            }
            c.assign(partitions);
            seek(c, partitions);
            state = State.RUNNING;
            LOG.infof("reading %d partitions of %s as %s", partitions.size(), EVENT_TOPICS, settings.identity());
            while (running) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    accept(byName.get(r.topic()), r);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            if (running) {
                error = KafkaErrors.classify(e) == KafkaErrors.Kind.FATAL
                        ? KafkaErrors.describeFatal("web-service", settings, e)
                        : "web-service stopped reading the pipeline's topics: " + e;
                state = State.FAILED;
                LOG.error(error);
                return;
            }
        }
        state = State.STOPPED;
    }

    /** The partitions of the event and metrics topics, once they all exist (null when closed meanwhile). */
    private List<TopicPartition> awaitPartitions(KafkaConsumer<String, byte[]> c) {
        List<Topic> wanted = new ArrayList<>(EVENT_TOPICS);
        wanted.add(Topic.METRICS);
        while (running) {
            List<TopicPartition> all = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            for (Topic t : wanted) {
                List<PartitionInfo> infos = c.partitionsFor(topics.name(t), Duration.ofSeconds(10));
                if (infos == null || infos.isEmpty()) {
                    missing.add(topics.name(t));
                } else {
                    infos.forEach(p -> all.add(new TopicPartition(p.topic(), p.partition())));
                }
            }
            if (missing.isEmpty()) {
                return all;
            }
            if (state != State.WAITING) {
                LOG.warnf("waiting for topics %s (caption topics creates them)", missing);
                state = State.WAITING;
            }
            sleep(1000);
        }
        return null;
    }

    private void seek(KafkaConsumer<String, byte[]> c, List<TopicPartition> partitions) {
        long from = System.currentTimeMillis() - replay.toMillis();
        Map<TopicPartition, Long> times = new HashMap<>();
        List<TopicPartition> metrics = new ArrayList<>();
        for (TopicPartition p : partitions) {
            if (byName.get(p.topic()) == Topic.METRICS) {
                metrics.add(p);
            } else {
                times.put(p, from);
            }
        }
        c.seekToBeginning(metrics);
        Map<TopicPartition, OffsetAndTimestamp> offsets = c.offsetsForTimes(times);
        List<TopicPartition> atEnd = new ArrayList<>();
        times.keySet().forEach(p -> {
            OffsetAndTimestamp o = offsets.get(p);
            if (o == null) {
                atEnd.add(p);
            } else {
                c.seek(p, o.offset());
            }
        });
        c.seekToEnd(atEnd);
    }

    /** One record of {@code topic}: a run's aggregates, or an image's event. Undecodable ones are logged and skipped. */
    void accept(Topic topic, ConsumerRecord<String, byte[]> record) {
        try {
            if (topic == Topic.METRICS) {
                if (record.value() != null) {
                    RunMetrics m = RunMetrics.CODEC.fromRecord(record);
                    synchronized (lock) {
                        runs.put(m.key(), m);
                    }
                }
                return;
            }
            Optional<PipelineEvent> event = PipelineEvent.of(topic, record);
            event.ifPresent(this::publish);
        } catch (MalformedMessageException e) {
            LOG.warnf("skipping %s-%d@%d: %s", record.topic(), record.partition(), record.offset(), e.getMessage());
        }
    }

    private void publish(PipelineEvent e) {
        synchronized (lock) {
            List<PipelineEvent> seen = history.computeIfAbsent(e.id(), k -> new ArrayList<>());
            boolean captioned = seen.stream().anyMatch(x -> x.kind() == PipelineEvent.Kind.CAPTIONED);
            switch (e.kind()) {
                case ENCODED -> {
                    if (seen.stream().anyMatch(x -> x.kind().compareTo(PipelineEvent.Kind.ENCODED) > 0)) {
                        return; // the caption is already shown
                    }
                }
                case SCORED -> {
                    if (!captioned) {
                        early.put(e.id(), e);
                        return;
                    }
                }
                default -> {
                }
            }
            deliver(seen, e);
            PipelineEvent waiting = e.kind() == PipelineEvent.Kind.CAPTIONED ? early.remove(e.id()) : null;
            if (waiting != null) {
                deliver(seen, waiting);
            }
        }
    }

    private void deliver(List<PipelineEvent> seen, PipelineEvent e) {
        seen.add(e);
        subscriptions.removeIf(s -> s.wants(e.id()) && !s.subscriber().deliver(e));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
