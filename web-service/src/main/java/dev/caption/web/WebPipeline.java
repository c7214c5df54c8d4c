package dev.caption.web;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.common.config.SaslConfigs;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;
import dev.caption.service.StageConfig;
import dev.caption.service.StageRunner;

/**
 * The service's two Kafka sides, made at startup: the {@link ImagePublisher} (as the publisher) and the
 * {@link PipelineFeed} (as the reader). Each login is {@code kafka.*} and {@code caption.kafka-config}, with
 * {@code caption.web.publisher-kafka-config} or {@code caption.web.reader-kafka-config} over it, and then
 * {@code caption.web.publisher-sasl-jaas-config} or {@code caption.web.reader-sasl-jaas-config}.
 */
@ApplicationScoped
public class WebPipeline {

    private static final Logger LOG = Logger.getLogger(WebPipeline.class);

    @Inject
    StageConfig stage;

    @Inject
    WebConfig web;

    @Inject
    MeterRegistry registry;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private volatile PipelineFeed feed;
    private volatile ImagePublisher publisher;

    void start(@Observes StartupEvent event) {
        Topics topics = topics();
        KafkaSettings base = StageRunner.kafkaSettings(kafkaConfig, stage);
        KafkaSettings reader = login(web.readerKafkaConfig().map(base::withFile).orElse(base), web.readerSaslJaasConfig());
        KafkaSettings writer = login(web.publisherKafkaConfig().map(base::withFile).orElse(base), web.publisherSaslJaasConfig());
        if (stage.topics().create()) {
            try {
                TopicAdmin.ensure(reader, topics);
            } catch (RuntimeException e) {
                LOG.warnf("could not create the topics (%s); continuing with what exists", e.getMessage());
            }
        }
        publisher = new ImagePublisher(writer, topics);
        feed = new PipelineFeed(reader, topics, web.replay(), web.historyImages()).start();
        Gauge.builder("caption.web.subscribers", () -> feed.subscribers()).description("open event streams")
                .register(registry);
    }

    void stop(@Observes ShutdownEvent event) {
        if (feed != null) {
            feed.close();
        }
        if (publisher != null) {
            publisher.close();
        }
    }

    private static KafkaSettings login(KafkaSettings settings, Optional<String> jaas) {
        if (jaas.isEmpty()) {
            return settings;
        }
        Map<String, String> props = new LinkedHashMap<>(settings.clientProperties());
        props.put(SaslConfigs.SASL_JAAS_CONFIG, jaas.get());
        return new KafkaSettings(settings.bootstrapServers(), props);
    }

    Topics topics() {
        return StageRunner.topics(stage.topics());
    }

    PipelineFeed feed() {
        return feed;
    }

    ImagePublisher publisher() {
        return publisher;
    }
}
