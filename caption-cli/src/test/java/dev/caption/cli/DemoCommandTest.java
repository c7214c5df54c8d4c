package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * `caption demo --synthetic`: the broker and the four service jars as separate processes (built by the reactor
 * before this module's tests), the six samples in, a caption and a score for each out.
 */
class DemoCommandTest {

    @Test
    void syntheticDemoCaptionsAndScoresEverySampleThroughTheFourServices() {
        String old = System.getProperty("caption.home");
        System.setProperty("caption.home", "..");
        CliRun run;
        try {
            run = CliRun.of("demo", "--synthetic", "--timeout", "PT5M");
        } finally {
            if (old == null) {
                System.clearProperty("caption.home");
            } else {
                System.setProperty("caption.home", old);
            }
        }
        assertEquals(0, run.status(), run.out() + run.err());
        List<String> lines = run.out().lines().toList();
        assertTrue(lines.stream().allMatch(l -> l.startsWith("demo [synthetic]: ")), run.out());
        assertEquals(6, lines.stream().filter(l -> l.contains(": caption  ")).count(), run.out());
        assertEquals(6, lines.stream().filter(l -> l.contains(": score    ")).count(), run.out());
        assertTrue(run.out().contains("summary: 6 images, 6 captions, 6 scored, 0 dead letters"), run.out());
        for (String stage : List.of("encoder", "adapter", "llm", "eval", "end to end")) {
            assertTrue(lines.stream().anyMatch(l -> l.matches("demo \\[synthetic\\]: " + stage + " +\\d+ +\\d+ +6")), stage);
        }
    }
}
