package dev.caption.cli.pipeline;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A service process started as {@code caption demo} and deployments start it, with a broken login setting. */
class ServiceStartupTest {

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
