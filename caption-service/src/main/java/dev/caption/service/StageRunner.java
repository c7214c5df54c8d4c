package dev.caption.service;

import java.util.Map;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;
import dev.caption.core.loop.BatchLoop;
import dev.caption.core.loop.BatchLoopConfig;
import dev.caption.core.loop.BatchProcessor;
import dev.caption.core.loop.Health;

/**
 * The one batch loop a service runs: topics and loop settings from {@code caption.*}, Kafka client properties
 * from {@code kafka.*}, metrics into Micrometer, health for /q/health. Stops with the app.
 */
@ApplicationScoped
public class StageRunner {

    private static final Logger LOG = Logger.getLogger(StageRunner.class);

    @Inject
    StageConfig config;

    @Inject
    MeterRegistry registry;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private volatile BatchLoop loop;
    private volatile String stage = "stage";

    /** The topic layout of this deployment ({@code caption.topics.*}). */
    public Topics topics() {
        return topics(config.topics());
    }

    /** The topic layout that {@code caption.topics.*} describes; eval-service, which runs no batch loop, uses it too. */
    public static Topics topics(StageConfig.Topics settings) {
        return Topics.withPrefix(settings.prefix().orElse(""))
                .withPartitions(settings.partitions())
                .withMaxImageBytes(settings.maxImageBytes());
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Creates missing topics (if configured) and starts the loop from {@code input} on its own thread. */
    public synchronized void start(String stageName, Topics topics, Topic input, BatchProcessor processor) {
        if (loop != null) {
            throw new IllegalStateException("this service already runs the " + stage + " loop");
        }
        stage = stageName;
        KafkaSettings settings = settings();
        if (config.topics().create()) {
            try {
                TopicAdmin.ensure(settings, topics);
            } catch (RuntimeException e) {
                LOG.warnf("could not create the topics (%s); continuing with what exists", e.getMessage());
            }
        }
        StageConfig.Loop l = config.loop();
        BatchLoopConfig.Builder b = BatchLoopConfig.builder(stageName)
                .kafka(settings)
                .inputTopic(topics.name(input))
                .dlqTopic(topics.name(Topic.DLQ))
                .maxBatch(l.maxBatch())
                .maxWait(l.maxWait())
                .maxRetries(l.maxRetries())
                .retryBackoff(l.retryBackoff())
                .shutdownTimeout(l.shutdownTimeout())
                .leaveGroupOnClose(l.leaveGroupOnClose())
                .maxRecordBytes(topics.maxRecordBytes())
                .consumerProperty("max.partition.fetch.bytes", topics.maxRecordBytes());
        l.instanceId().filter(id -> !id.isBlank()).ifPresent(b::instanceId);
        l.groupId().ifPresent(b::groupId);
        loop = new BatchLoop(b.build(), processor, new LoopMetrics(registry, stageName)).start();
    }

    /** The loop's health, or STARTING while the model loads. */
    public Health health() {
        BatchLoop l = loop;
        return l == null ? new Health(Health.State.STARTING, "loading the model") : l.health();
    }

    public String stage() {
        return stage;
    }

    void stop(@Observes ShutdownEvent event) {
        BatchLoop l = loop;
        if (l != null) {
            l.close();
        }
    }

    private KafkaSettings settings() {
        return kafkaSettings(kafkaConfig, config);
    }

    /**
     * The Kafka settings of this service: {@code kafka.*}, then the {@code caption.kafka-config} file over them.
     * Every client a service makes (batch loop, topic admin, Kafka Streams) starts from these.
     */
    public static KafkaSettings kafkaSettings(Map<String, Object> kafkaConfig, StageConfig config) {
        KafkaSettings settings = KafkaSettings.fromClientConfig(kafkaConfig);
        try {
            return config.kafkaConfig().map(settings::withFile).orElse(settings);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("caption.kafka-config: " + e.getMessage(), e);
        }
    }

    /**
     * Before any model loads: a missing or unreadable {@code caption.kafka-config} stops the service at once with
     * one line naming the setting, instead of after minutes of loading.
     */
    void checkKafkaSettings(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        try {
            settings();
        } catch (IllegalArgumentException e) {
            LOG.error(e.getMessage());
            throw e;
        }
    }
}
