package dev.caption.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class StreamsSettingsTest {

    private final StreamsSettings settings = new StreamsSettings("caption-eval", 2, Optional.empty(), Duration.ofMinutes(2));

    /** What Kafka Streams will hand its (transactional) producer, after its own exactly-once defaults. */
    private static Map<String, Object> producerConfig(StreamsSettings s, Map<String, Object> client) {
        return new StreamsConfig(s.properties(client)).getProducerConfigs("caption-eval-producer");
    }

    @Test
    void theProducerTransactionOutlastsAScoringBatchInsteadOfStreamsTenSecondExactlyOnceDefault() {
        Map<String, Object> producer = producerConfig(settings, Map.of(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "b:9092"));
        assertEquals(120_000, ((Number) producer.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)).intValue());
    }

    @Test
    void theEvalTimeoutWinsOverAPlainTransactionTimeoutInTheClientConfig() {
        Map<String, Object> producer = producerConfig(settings, Map.of(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "b:9092",
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000));
        assertEquals(120_000, ((Number) producer.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)).intValue());
    }

    @Test
    void exactlyOnceApplicationIdAndThreadsComeFromTheSettingsAndTheClusterFromTheClientConfig() {
        StreamsConfig config = new StreamsConfig(settings.properties(Map.of(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "b:9092")));
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, config.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        assertEquals("caption-eval", config.getString(StreamsConfig.APPLICATION_ID_CONFIG));
        assertEquals(2, config.getInt(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
        assertEquals("b:9092", String.join(",", config.getList(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)));
    }
}
