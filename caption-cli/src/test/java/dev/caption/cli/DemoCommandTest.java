package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * `caption demo --synthetic`: the broker and the four service jars as separate processes (built by the reactor
 * before this module's tests), the six held-out shapes-world samples in, a caption and a score for each out, and
 * captions that name the right colour and shape.
 */
class DemoCommandTest {

    private static CliRun demo(String... args) {
        String old = System.getProperty("caption.home");
        System.setProperty("caption.home", "..");
        try {
            return CliRun.of(args);
        } finally {
            if (old == null) {
                System.clearProperty("caption.home");
            } else {
                System.setProperty("caption.home", old);
            }
        }
    }

    @Test
    void syntheticDemoCaptionsAndScoresEverySampleThroughTheFourServices() {
        CliRun run = demo("demo", "--synthetic", "--timeout", "PT5M");
        assertEquals(0, run.status(), run.out() + run.err());
        List<String> lines = run.out().lines().toList();
        assertTrue(lines.stream().allMatch(l -> l.startsWith("demo [synthetic]: ")), run.out());
        assertEquals(6, lines.stream().filter(l -> l.contains(": caption  ")).count(), run.out());
        assertEquals(6, lines.stream().filter(l -> l.contains(": score    ")).count(), run.out());
        assertTrue(run.out().contains("summary: 6 images, 6 captions, 6 scored, 0 dead letters"), run.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("demo \\[synthetic\\]: web page: http://localhost:\\d+/ .*")), run.out());
        long right = lines.stream().filter(l -> l.contains(": caption  ") && l.endsWith("[right]")).count();
        assertTrue(right >= 5, "captions naming the right colour and shape: " + right + " of 6\n" + run.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("demo \\[synthetic\\]: summary: mean BERTScore F 0\\.\\d+, right: "
                + right + "/6")), run.out());
        for (String stage : List.of("encoder", "adapter", "llm", "eval", "end to end")) {
            assertTrue(lines.stream().anyMatch(l -> l.matches("demo \\[synthetic\\]: " + stage + " +\\d+ +\\d+ +6")), stage);
        }
        assertNoServiceLeftRunning();
    }

    @Test
    void theAudioPathCaptionsAndScoresTonesClipsThroughTheAudioEncoderBesideTheImages() {
        CliRun run = demo("demo", "--synthetic", "--audio", "--timeout", "PT5M");
        assertEquals(0, run.status(), run.out() + run.err());
        List<String> lines = run.out().lines().toList();
        assertTrue(run.out().contains("summary: 6 images, 3 audio clips, 9 captions, 9 scored, 0 dead letters"), run.out());
        // each clip captioned and scored exactly once, labelled as noise (a random Whisper and an untrained adapter)
        for (String id : List.of("tone-00000", "tone-00001", "tone-00002")) {
            List<String> captions = lines.stream().filter(l -> l.contains(": caption  " + id + " ")).toList();
            assertEquals(1, captions.size(), id + "\n" + run.out());
            assertTrue(captions.get(0).endsWith("[audio: noise]"), captions.get(0));
            assertEquals(1, lines.stream().filter(l -> l.contains(": score    " + id + " ")).count(), id);
        }
        assertTrue(lines.stream().anyMatch(l -> l.matches("demo \\[synthetic\\]: audio-encoder +\\d+ +\\d+ +3")), run.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("demo \\[synthetic\\]: adapter +\\d+ +\\d+ +9")), run.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("demo \\[synthetic\\]: summary: mean BERTScore F 0\\.\\d+, audio "
                + "\\(noise\\) mean BERTScore F 0\\.\\d+, right: \\d/6")), run.out());
        assertNoServiceLeftRunning();
    }

    @Test
    void onTheSecuredBrokerEachServiceUnderItsOwnUserCaptionsAndScoresEverySampleAndNoPasswordIsLogged() throws Exception {
        CliRun run = demo("demo", "--synthetic", "--secure", "--timeout", "PT5M");
        assertEquals(0, run.status(), run.out() + run.err());
        assertTrue(run.out().contains("summary: 6 images, 6 captions, 6 scored, 0 dead letters"), run.out());
        String clients = run.out().lines().filter(l -> l.contains("(client files in ")).findFirst().orElseThrow()
                .replaceAll(".*\\(client files in (.*)\\)$", "$1");
        Path work = Path.of(clients).getParent().getParent().getParent();
        Properties credentials = new Properties();
        try (Reader in = Files.newBufferedReader(work.resolve("kafka/security/credentials.properties"))) {
            credentials.load(in);
        }
        List<Path> logs;
        try (Stream<Path> files = Files.list(work)) {
            logs = files.filter(f -> f.toString().endsWith(".log")).toList();
        }
        assertEquals(5, logs.size(), "four stages and the web page: " + logs);
        for (String key : credentials.stringPropertyNames()) {
            String secret = credentials.getProperty(key);
            assertFalse(run.out().contains(secret) || run.err().contains(secret), key + " printed by the demo");
            for (Path log : logs) {
                assertFalse(Files.readString(log).contains(secret), key + " in " + log);
            }
        }
        assertNoServiceLeftRunning();
    }

    /** Every service process the demo started is gone once it returns. */
    private static void assertNoServiceLeftRunning() {
        List<String> alive = ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList();
        assertTrue(alive.isEmpty(), "still running after the demo: " + alive);
    }

    @Test
    void otherImagesStillRunAndTheDemoSaysTheModelsKnowOnlyShapes() {
        CliRun run = demo("demo", "--synthetic", "--timeout", "PT5M", "../samples/images/sunset.bmp");
        assertEquals(0, run.status(), run.out() + run.err());
        assertTrue(run.out().contains("demo [synthetic]: note: the synthetic models know only the shapes world"), run.out());
        assertTrue(run.out().contains("summary: 1 image, 1 caption, 0 scored, 0 dead letters"), run.out());
        assertNoServiceLeftRunning();
    }
}
