package dev.caption.core.kafka;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.CommonClientConfigs;

/**
 * How to reach the cluster: bootstrap servers plus pass-through client properties (TLS, SASL, client ids ...),
 * typically read from a {@code .properties} file. Every client this project creates starts from here.
 */
public record KafkaSettings(String bootstrapServers, Map<String, String> clientProperties) {

    public KafkaSettings {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap servers are required");
        }
        clientProperties = Map.copyOf(clientProperties);
    }

    public static KafkaSettings of(String bootstrapServers) {
        return new KafkaSettings(bootstrapServers, Map.of());
    }

    /**
     * Settings from a service's {@code kafka.*} configuration, every property kept (TLS, SASL ...): its
     * {@code bootstrap.servers}, else {@link #DEFAULT_BOOTSTRAP_SERVERS}.
     */
    public static KafkaSettings fromClientConfig(Map<String, ?> config) {
        Map<String, String> props = new LinkedHashMap<>();
        config.forEach((k, v) -> props.put(k, String.valueOf(v)));
        String bootstrap = props.remove(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        return new KafkaSettings(bootstrap == null ? DEFAULT_BOOTSTRAP_SERVERS : bootstrap, props);
    }

    /** Used when neither a flag nor a config file names the bootstrap servers. */
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";

    /**
     * Settings from an optional properties file and an optional explicit bootstrap list: the explicit list wins,
     * then the file's {@code bootstrap.servers}, then {@link #DEFAULT_BOOTSTRAP_SERVERS}. A missing or unreadable
     * file is a clear error.
     */
    public static KafkaSettings resolve(String explicitBootstrap, Path file) {
        Map<String, String> props = new LinkedHashMap<>();
        if (file != null) {
            Properties p = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(reader);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("Kafka config file not found: " + file);
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot read Kafka config file " + file + ": " + e.getMessage());
            }
            p.stringPropertyNames().forEach(k -> props.put(k, p.getProperty(k)));
        }
        String fromFile = props.remove(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        String bootstrap = explicitBootstrap != null ? explicitBootstrap
                : fromFile != null ? fromFile : DEFAULT_BOOTSTRAP_SERVERS;
        return new KafkaSettings(bootstrap, props);
    }

    /** Base properties for any client: the pass-through ones, then bootstrap servers. */
    public Map<String, Object> clientConfig() {
        Map<String, Object> m = new LinkedHashMap<>(clientProperties);
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return m;
    }
}
