package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.caption.broker.BrokerSecurity;
import dev.caption.broker.LocalKafkaBroker;
import dev.caption.core.kafka.PipelineRole;

/**
 * `caption acls`, `caption publish` and `caption tail` on the secured local broker, each with a principal's client
 * file as --kafka-config: the publisher publishes, the reader reads, and neither may do the other's work.
 */
class SecuredPublishAndTailTest {

    private static LocalKafkaBroker broker;
    private static BrokerSecurity security;

    @BeforeAll
    static void start() {
        broker = LocalKafkaBroker.builder()
                .secured(PipelineRole.defaultUsers()).build().start();
        security = broker.security().orElseThrow();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static String config(String user) {
        return security.clientConfigFile(user).toString();
    }

    @Test
    void thePublisherPublishesAndTheReaderTailsUnderTheirOwnLogins(@TempDir Path dir) throws Exception {
        String admin = config(BrokerSecurity.ADMIN);
        CliRun topics = CliRun.of("topics", "--kafka-config", admin, "--topic-prefix", "s.");
        assertEquals(0, topics.status(), topics.err());
        CliRun acls = CliRun.of("acls", "--kafka-config", admin, "--topic-prefix", "s.");
        assertEquals(0, acls.status(), acls.err());
        assertTrue(acls.out().lines().anyMatch(l -> l.matches("granted User:caption-encoder +READ +topic +s\\.caption\\.images")),
                acls.out());
        assertTrue(acls.out().lines().anyMatch(l -> l.matches("granted User:caption-eval +CREATE +topic +s\\.caption-eval-\\*")),
                acls.out());

        Path refs = Files.writeString(dir.resolve("refs.jsonl"), "{\"id\": \"red-circle\", \"references\": [\"A red circle.\"]}\n");
        CliRun publish = CliRun.of("publish", "--kafka-config", config(PipelineRole.PUBLISHER.defaultUser()),
                "--topic-prefix", "s.", "--references", refs.toString(), "../samples/images/red-circle.png");
        assertEquals(0, publish.status(), publish.out() + publish.err());
        assertTrue(publish.out().contains("published 1 image"), publish.out());

        CliRun tail = CliRun.of("tail", "--kafka-config", config(PipelineRole.READER.defaultUser()), "--topic-prefix", "s.",
                "--topic", "references", "--from-beginning", "--until-end");
        assertEquals(0, tail.status(), tail.err());
        assertTrue(tail.out().contains("A red circle."), tail.out());

        // the reader reads what the pipeline writes, not the images people send it
        CliRun images = CliRun.of("tail", "--kafka-config", config(PipelineRole.READER.defaultUser()), "--topic-prefix", "s.",
                "--topic", "images", "--from-beginning", "--until-end");
        assertNotEquals(0, images.status(), images.out());
        assertEquals(1, images.err().strip().lines().count(), images.err());
        assertTrue(images.err().contains("s.caption.images"), images.err());

        for (CliRun run : new CliRun[] {topics, acls, publish, tail, images}) {
            for (String user : security.users()) {
                String password = security.clientProperties(user).get("sasl.jaas.config").replaceAll(".*password=\"([^\"]*)\".*", "$1");
                assertFalse(run.out().contains(password) || run.err().contains(password), "a password was printed");
            }
        }
    }
}
