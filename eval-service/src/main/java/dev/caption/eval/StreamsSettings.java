package dev.caption.eval;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import dev.caption.core.kafka.PipelineRole;
import dev.caption.core.kafka.Topics;

/**
 * What the eval topology's Kafka Streams runs with besides the cluster's client settings: exactly_once_v2, its
 * application id, threads, state directory, and a transaction timeout long enough for a scoring batch.
 */
record StreamsSettings(String applicationId, int streamThreads, Optional<Path> stateDir, Duration transactionTimeout) {

    static StreamsSettings of(EvalConfig config, Topics topics) {
        return new StreamsSettings(config.applicationId().orElse(PipelineRole.evalApplicationId(topics)),
                config.streamThreads(), config.stateDir(), config.transactionTimeout());
    }

    /** {@code clientConfig} (bootstrap servers, TLS, SASL...) with these settings on top. */
    Properties properties(Map<String, Object> clientConfig) {
        Properties props = new Properties();
        props.putAll(clientConfig);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        stateDir.ifPresent(d -> props.put(StreamsConfig.STATE_DIR_CONFIG, d.toString()));
        // a batch is scored inside the transaction its inputs opened (their state-store writes): Kafka Streams'
        // exactly-once default of 10 s would abort it, fence the thread and have the batch scored again
        props.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
                (int) transactionTimeout.toMillis());
        return props;
    }
}
