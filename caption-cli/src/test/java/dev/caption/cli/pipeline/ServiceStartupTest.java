package dev.caption.cli.pipeline;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.caption.broker.BrokerSecurity;
import dev.caption.broker.LocalKafkaBroker;
import dev.caption.cli.streams.LocalBrokers;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;

/** Service processes started as {@code caption demo} and deployments start them, with their login settings. */
class ServiceStartupTest {

    @Test
    void evalServiceCreatesTheTopicsOverSaslSslWithEveryPropertyOfItsLogin(@TempDir Path work) throws Exception {
        // a secured broker with no topics yet: only an admin client that carries the TLS and SASL settings can make them
        try (LocalKafkaBroker broker = LocalBrokers.builder(true).dataDir(work.resolve("kafka")).build().start()) {
            LocalPipeline.Models m = LocalPipeline.Models.synthetic();
            Map<String, String> props = new java.util.HashMap<>(Map.of(
                    "kafka.bootstrap.servers", broker.bootstrapServers(),
                    "caption.kafka-config", broker.security().orElseThrow().clientConfigFile(BrokerSecurity.ADMIN).toString(),
                    "caption.eval.scorer.model", m.bert(),
                    "caption.eval.state-dir", work.resolve("eval-state").toString()));
            m.bertLayer().ifPresent(l -> props.put("caption.eval.scorer.layer", l.toString()));
            try (ServiceProcess eval = ServiceProcess.start(Path.of(".."), "eval-service", "eval-service", props, work, "1g")) {
                eval.awaitReady(Duration.ofMinutes(3));
            }
            try (Admin admin = Admin.create(LocalBrokers.settings(broker, BrokerSecurity.ADMIN).clientConfig())) {
                Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                for (Topic t : Topic.values()) {
                    assertTrue(names.contains(Topics.defaults().name(t)), t + " was not created: " + names);
                }
            }
        }
    }

    @Test
    void aServiceWhoseKafkaConfigFileIsMissingStopsBeforeLoadingWithOneLineNamingTheSetting(@TempDir Path work) throws Exception {
        Path missing = work.resolve("clients/caption-adapter.properties");
        try (ServiceProcess service = ServiceProcess.start(Path.of(".."), "adapter-service", "adapter-service",
                Map.of("caption.kafka-config", missing.toString(), "caption.adapter.path", work.resolve("adapter").toString()),
                work, "256m")) {
            IllegalStateException exited = assertThrows(IllegalStateException.class,
                    () -> service.awaitReady(Duration.ofMinutes(2)));
            assertTrue(exited.getMessage().contains("exited with status"), exited.getMessage());
            String first = Files.readAllLines(service.log()).stream().filter(l -> l.contains("ERROR")).findFirst().orElseThrow();
            assertTrue(first.contains("caption.kafka-config: Kafka config file not found: " + missing), first);
        }
    }
}
