package dev.caption.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.loop.KafkaErrors;
import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.RunMetrics;
import dev.caption.nn.bert.BertScoreSpec;
import dev.caption.nn.bert.BertScorer;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.service.DeadLetterLog;
import dev.caption.service.StageConfig;
import dev.caption.service.StageRunner;

/** Loads the BERTScore model, then runs the eval topology with exactly_once_v2 until shutdown. */
@ApplicationScoped
public class EvalStreams {

    private static final Logger LOG = Logger.getLogger(EvalStreams.class);

    @Inject
    EvalConfig config;

    @Inject
    StageConfig stage;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    @Inject
    MeterRegistry registry;

    private volatile KafkaStreams streams;
    private volatile SettledReadiness readiness;
    private volatile BertScorer scorer;
    private volatile String startupError;
    private volatile KafkaSettings kafka;

    void start(@Observes StartupEvent event) {
        EvalConfig.Scorer s = config.scorer();
        long t0 = System.nanoTime();
        BertScoreSpec spec = BertScoreSpec.builder(s.model()).revision(s.revision().orElse(null)).layer(s.layer())
                .rescaling(BertScoreSpec.Rescaling.of(s.rescale(), s.baseline().orElse(null))).device(s.device())
                .batchSize(s.batchSize()).build();
        try {
            scorer = spec.open(HubEnvironment.fromSystem(), DownloadListener.lines(LOG::info));
        } catch (BertScoreSpec.MissingLayerException e) {
            throw e.naming("caption.eval.scorer.layer");
        }
        LOG.infof("loaded BERTScore model %s (layer %d) in %.1f s", scorer.modelId(), scorer.layer(),
                (System.nanoTime() - t0) / 1e9);

        Topics topics = StageRunner.topics(stage.topics());
        // every kafka.* property and the caption.kafka-config file: a secured cluster needs its TLS and SASL
        // settings for the topic admin client as much as for Kafka Streams
        KafkaSettings kafka = StageRunner.kafkaSettings(kafkaConfig, stage);
        this.kafka = kafka;
        if (stage.topics().create()) {
            try {
                TopicAdmin.ensure(kafka, topics);
            } catch (RuntimeException e) {
                LOG.warnf("could not create the topics (%s); continuing with what exists", e.getMessage());
            }
        }
        Properties props = StreamsSettings.of(config, topics).properties(kafka.clientConfig());
        EvalTopology.Settings settings = new EvalTopology.Settings(topics, config.maxBatch(), config.maxWait());
        DeadLetterLog deadLetters = new DeadLetterLog(registry, EvalTopology.STAGE, Time.SYSTEM, LOG::warn);
        KafkaStreams ks = new KafkaStreams(EvalTopology.build(settings, new BertBatchScorer(scorer, registry, config.transactionTimeout()),
                d -> deadLetters.record(d.key(), simpleName(d.errorClass()), d.reason(), d.originTopic(),
                        d.originPartition(), d.originOffset())), props);
        ks.setUncaughtExceptionHandler(e -> {
            startupError = describe(e);
            LOG.error("eval topology failed", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        SettledReadiness settled = new SettledReadiness(Time.SYSTEM, config.readySettle());
        ks.setStateListener((now, before) -> settled.onChange(now));
        readiness = settled;
        ks.start();
        streams = ks;
    }

    void stop(@Observes ShutdownEvent event) {
        KafkaStreams ks = streams;
        if (ks != null) {
            ks.close();
        }
        if (scorer != null) {
            scorer.close();
        }
    }

    /** CREATED/REBALANCING/RUNNING..., or LOADING while the model loads. */
    public String state() {
        KafkaStreams ks = streams;
        return ks == null ? "LOADING" : ks.state().name();
    }

    public boolean ready() {
        KafkaStreams ks = streams;
        return ks != null && readiness.ready(ks.state());
    }

    public boolean alive() {
        KafkaStreams ks = streams;
        return ks == null || (ks.state() != KafkaStreams.State.ERROR && ks.state() != KafkaStreams.State.PENDING_ERROR
                && ks.state() != KafkaStreams.State.NOT_RUNNING);
    }

    public String error() {
        return startupError;
    }

    /**
     * The aggregates this replica holds: with several replicas each holds the runs whose key hashes to its
     * partitions; caption.metrics has them all.
     */
    public List<RunMetrics> runs() {
        KafkaStreams ks = streams;
        List<RunMetrics> out = new ArrayList<>();
        if (ks == null || ks.state() != KafkaStreams.State.RUNNING) {
            return out;
        }
        ReadOnlyKeyValueStore<String, RunMetrics> store = ks.store(StoreQueryParameters.fromNameAndType(
                EvalTopology.RUNS_STORE, QueryableStoreTypes.<String, RunMetrics>keyValueStore()));
        try (KeyValueIterator<String, RunMetrics> it = store.all()) {
            it.forEachRemaining(kv -> out.add(kv.value));
        }
        return out;
    }

    /** A refused login or ACL as one line naming the principal (never its secret); anything else as it is. */
    private String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AuthenticationException || t instanceof AuthorizationException) {
                return KafkaErrors.describeFatal(EvalTopology.STAGE, kafka, t);
            }
        }
        return e.toString();
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }
}
