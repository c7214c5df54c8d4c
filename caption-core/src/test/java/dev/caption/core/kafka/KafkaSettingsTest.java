package dev.caption.core.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class KafkaSettingsTest {

    @Test
    void aServicesKafkaConfigKeepsEveryPropertyForEveryClient() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bootstrap.servers", "broker:9093");
        config.put("security.protocol", "SASL_SSL");
        config.put("sasl.mechanism", "SCRAM-SHA-512");
        config.put("ssl.truststore.location", "/etc/kafka/ca.p12");
        config.put("request.timeout.ms", 40000);
        KafkaSettings s = KafkaSettings.fromClientConfig(config);
        assertEquals("broker:9093", s.bootstrapServers());
        Map<String, Object> client = s.clientConfig();
        assertEquals("SASL_SSL", client.get("security.protocol"));
        assertEquals("SCRAM-SHA-512", client.get("sasl.mechanism"));
        assertEquals("/etc/kafka/ca.p12", client.get("ssl.truststore.location"));
        assertEquals("40000", client.get("request.timeout.ms"));
        assertEquals("broker:9093", client.get("bootstrap.servers"));
    }

    @Test
    void withoutBootstrapServersTheDefaultIsUsed() {
        assertEquals(KafkaSettings.DEFAULT_BOOTSTRAP_SERVERS,
                KafkaSettings.fromClientConfig(Map.of("client.id", "x")).bootstrapServers());
    }
}
