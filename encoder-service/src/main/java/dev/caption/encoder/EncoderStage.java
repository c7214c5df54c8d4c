package dev.caption.encoder;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

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
import dev.caption.core.loop.Health;
import dev.caption.nn.clip.ImageDecoder;
import dev.caption.tensor.DType;

/** Loads the model, then runs the batch loop from caption.images to caption.features until shutdown. */
@ApplicationScoped
public class EncoderStage {

    static final String STAGE = "encoder";
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(EncoderStage.class);

    @Inject
    EncoderConfig encoderConfig;

    @Inject
    StageConfig stageConfig;

    @Inject
    EncoderModel model;

    @Inject
    MeterRegistry registry;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private volatile BatchLoop loop;

    void start(@Observes StartupEvent event) {
        Topics topics = Topics.withPrefix(stageConfig.topics().prefix().orElse(""))
                .withPartitions(stageConfig.topics().partitions())
                .withMaxImageBytes(encoderConfig.maxImageBytes());
        if (stageConfig.topics().create()) {
            try {
                TopicAdmin.ensure(settings(), topics);
            } catch (RuntimeException e) {
                LOG.warnf("could not create the topics (%s); continuing with what exists", e.getMessage());
            }
        }
        MetricsListener metrics = new MetricsListener(registry, STAGE);
        EncoderProcessor processor = new EncoderProcessor(model.load(encoderConfig),
                new ImageDecoder(encoderConfig.maxPixels()), topics.name(Topic.FEATURES), wireDtype(),
                encoderConfig.maxImageBytes(), metrics);
        StageConfig.Loop l = stageConfig.loop();
        BatchLoopConfig.Builder config = BatchLoopConfig.builder(STAGE)
                .kafka(settings())
                .inputTopic(topics.name(Topic.IMAGES))
                .dlqTopic(topics.name(Topic.DLQ))
                .maxBatch(l.maxBatch())
                .maxWait(l.maxWait())
                .maxRetries(l.maxRetries())
                .retryBackoff(l.retryBackoff())
                .shutdownTimeout(l.shutdownTimeout())
                .maxRecordBytes(topics.maxRecordBytes())
                .consumerProperty("max.partition.fetch.bytes", topics.maxRecordBytes());
        l.instanceId().ifPresent(config::instanceId);
        l.groupId().ifPresent(config::groupId);
        loop = new BatchLoop(config.build(), processor, metrics).start();
    }

    void stop(@Observes ShutdownEvent event) {
        BatchLoop l = loop;
        if (l != null) {
            l.close();
        }
    }

    /** The loop's health, or STARTING while the model loads. */
    public Health health() {
        BatchLoop l = loop;
        return l == null ? new Health(Health.State.STARTING, "loading the model") : l.health();
    }

    private KafkaSettings settings() {
        Map<String, String> props = new LinkedHashMap<>();
        kafkaConfig.forEach((k, v) -> props.put(k, String.valueOf(v)));
        String bootstrap = props.remove("bootstrap.servers");
        return new KafkaSettings(bootstrap == null ? KafkaSettings.DEFAULT_BOOTSTRAP_SERVERS : bootstrap, props);
    }

    private DType wireDtype() {
        return switch (encoderConfig.wireDtype().toLowerCase(Locale.ROOT)) {
            case "f16", "float16" -> DType.F16;
            case "f32", "float32" -> DType.F32;
            default -> throw new IllegalArgumentException("caption.encoder.wire-dtype must be f16 or f32, got "
                    + encoderConfig.wireDtype());
        };
    }
}
