package dev.caption.core.loop;

import static dev.caption.core.loop.KafkaTestSupport.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.caption.broker.LocalKafkaExtension;

/**
 * The stage runs as a separate JVM that dies abruptly several times and is restarted under the same instance id.
 * Even rounds are SIGKILLed by the test at a random moment (mostly mid-processing); odd rounds halt themselves
 * right after the broker acknowledged a random output record of an open transaction (see CrashingInterceptor).
 * Whatever the kill points, the output read read_committed holds every input exactly once, in per-key order.
 */
class ExactlyOnceUnderCrashesTest {

    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    private static final int RECORDS = 2000;
    private static final int KEYS = 50;
    private static final int KILLS = 4;

    @Test
    void sigkilledStageRestartsWithoutLosingOrDuplicatingAnything() throws Exception {
        String bootstrap = KAFKA.bootstrapServers();
        KafkaTestSupport.createTopics(bootstrap, 4, "eo.in", "eo.out", "eo.dlq");
        List<ProducerRecord<String, byte[]>> inputs = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            inputs.add(record("eo.in", "key-" + (i % KEYS), String.format(Locale.ROOT, "value-%05d", i)));
        }
        KafkaTestSupport.produce(bootstrap, inputs);

        SplittableRandom random = new SplittableRandom(20261122);
        int killed = 0;
        try (KafkaTestSupport.CommittedReader out = new KafkaTestSupport.CommittedReader(bootstrap, "eo.out")) {
            for (int round = 0; round < KILLS; round++) {
                boolean selfCrash = round % 2 == 1;
                int crashAfterAcks = selfCrash ? random.nextInt(100, 300) : -1;
                Process stage = startStage(bootstrap, round, crashAfterAcks);
                try {
                    if (selfCrash) {
                        assertTrue(stage.waitFor(120, TimeUnit.SECONDS), "round " + round + " crashes itself");
                        assertEquals(137, stage.exitValue(), "round " + round + " halted mid-transaction");
                    } else {
                        // let the stage commit some batches, then kill it at an arbitrary point of a later one
                        out.readAtLeast(out.size() + 150, Duration.ofSeconds(120));
                        Thread.sleep(random.nextInt(20, 400));
                    }
                } finally {
                    stage.destroyForcibly();                       // SIGKILL: no close, no abort, no leave-group
                    stage.waitFor(30, TimeUnit.SECONDS);
                }
                killed++;
            }
            Process last = startStage(bootstrap, KILLS, -1);
            List<ConsumerRecord<String, byte[]>> all;
            try {
                all = out.readAtLeast(RECORDS, Duration.ofSeconds(180));
            } finally {
                last.destroy();
                last.waitFor(30, TimeUnit.SECONDS);
            }
            // anything a zombie wrote after the fact would show up here too
            all = out.readToEnd();

            assertEquals(KILLS, killed);
            assertEquals(RECORDS, all.size(), "every input exactly once (no loss, no duplicate)");
            Map<String, List<String>> byKey = KafkaTestSupport.valuesByKey(all);
            Map<String, List<String>> expected = new java.util.LinkedHashMap<>();
            for (int i = 0; i < RECORDS; i++) {
                expected.computeIfAbsent("key-" + (i % KEYS), k -> new ArrayList<>())
                        .add(String.format(Locale.ROOT, "VALUE-%05d", i));
            }
            assertEquals(expected, byKey, "per-key order is kept");
        }
        try (KafkaTestSupport.CommittedReader dlq = new KafkaTestSupport.CommittedReader(bootstrap, "eo.dlq")) {
            assertTrue(dlq.readToEnd().isEmpty(), "nothing was dead-lettered");
        }
        try (KafkaTestSupport.CommittedReader raw =
                     new KafkaTestSupport.CommittedReader(bootstrap, "eo.out", "read_uncommitted")) {
            assertTrue(raw.readToEnd().size() > RECORDS,
                    "the log holds records of aborted transactions, which read_committed hid");
        }
    }

    private static Process startStage(String bootstrap, int round, int crashAfterAcks) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = Path.of("target", "exactly-once-stage-" + round + ".log");
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-Dcrash.after.acks=" + crashAfterAcks,
                "-cp", System.getProperty("java.class.path"),
                UppercaseStage.class.getName(), bootstrap, "eo.in", "eo.out", "eo.dlq", "worker-1", "2");
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        return pb.start();
    }

}
