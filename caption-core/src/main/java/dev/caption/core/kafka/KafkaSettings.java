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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;

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
        Map<String, String> props = file == null ? new LinkedHashMap<>() : readFile(file);
        String fromFile = props.remove(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        String bootstrap = explicitBootstrap != null ? explicitBootstrap
                : fromFile != null ? fromFile : DEFAULT_BOOTSTRAP_SERVERS;
        return new KafkaSettings(bootstrap, props);
    }

    /**
     * These settings with a client properties file's on top (its {@code bootstrap.servers} too, when it has one):
     * how a service takes the file {@code caption broker --secure} or an administrator wrote for its principal.
     */
    public KafkaSettings withFile(Path file) {
        Map<String, String> props = new LinkedHashMap<>(clientProperties);
        Map<String, String> fromFile = readFile(file);
        String bootstrap = fromFile.remove(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        props.putAll(fromFile);
        return new KafkaSettings(bootstrap != null ? bootstrap : bootstrapServers, props);
    }

    /**
     * Who these settings log in as and how, for error lines: {@code user caption-encoder (SCRAM-SHA-512) over
     * SASL_SSL to host:port}. Never a password.
     */
    public String identity() {
        String protocol = clientProperties.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT");
        String jaas = clientProperties.getOrDefault(SaslConfigs.SASL_JAAS_CONFIG, "");
        Matcher user = USERNAME.matcher(jaas);
        String who = user.find() ? "user " + user.group(1) + " ("
                + clientProperties.getOrDefault(SaslConfigs.SASL_MECHANISM, SaslConfigs.DEFAULT_SASL_MECHANISM) + ")"
                : protocol.startsWith("SASL") ? "a SASL login without a user name" : "no login";
        return who + " over " + protocol + " to " + bootstrapServers;
    }

    /** Bootstrap servers and property names only: values of passwords and logins are never printed. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("KafkaSettings[").append(bootstrapServers);
        clientProperties.forEach((k, v) -> b.append(", ").append(k).append('=')
                .append(k.contains("password") || k.contains("jaas") || k.contains("key") ? "(hidden)" : v));
        return b.append(']').toString();
    }

    private static final Pattern USERNAME = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

    private static Map<String, String> readFile(Path file) {
        Map<String, String> props = new LinkedHashMap<>();
        Properties p = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(reader);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("Kafka config file not found: " + file);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read Kafka config file " + file + ": " + e.getMessage());
        }
        p.stringPropertyNames().forEach(k -> props.put(k, p.getProperty(k)));
        return props;
    }

    /** Base properties for any client: the pass-through ones, then bootstrap servers. */
    public Map<String, Object> clientConfig() {
        Map<String, Object> m = new LinkedHashMap<>(clientProperties);
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return m;
    }
}
