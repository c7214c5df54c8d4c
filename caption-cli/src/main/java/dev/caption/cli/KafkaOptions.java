package dev.caption.cli;

import java.nio.file.Path;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topics;
import picocli.CommandLine.Option;

/** Options every command that talks to Kafka takes. */
public final class KafkaOptions {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers (default: bootstrap.servers from --kafka-config, else "
                    + KafkaSettings.DEFAULT_BOOTSTRAP_SERVERS + ").")
    String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE.properties",
            description = "Kafka client properties passed through to every client (TLS, SASL, ...).")
    Path kafkaConfig;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = "",
            description = "Prefix of every topic name, for several pipelines on one cluster (default: none).")
    String topicPrefix;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "" + Topics.DEFAULT_PARTITIONS,
            description = "Partitions of topics this command creates (default: ${DEFAULT-VALUE}).")
    int partitions;

    public KafkaSettings settings() {
        return KafkaSettings.resolve(bootstrapServers, kafkaConfig);
    }

    public Topics topics() {
        return Topics.withPrefix(topicPrefix).withPartitions(partitions);
    }
}
