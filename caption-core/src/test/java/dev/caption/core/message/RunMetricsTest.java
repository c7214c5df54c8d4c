package dev.caption.core.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class RunMetricsTest {

    private static Score score(double f) {
        return new Score("img", "run-1", "qwen", "adapter-a", "roberta-large_L17", f, f, f, "a dog", List.of("a dog"));
    }

    @Test
    void meanAndIntervalMatchTheTextbookFormulas() {
        double[] xs = {0.81, 0.77, 0.92, 0.85, 0.88};
        RunMetrics m = RunMetrics.NONE;
        for (double x : xs) {
            m = m.plus(score(x), 1);
        }
        double mean = 0;
        for (double x : xs) {
            mean += x / xs.length;
        }
        double ss = 0;
        for (double x : xs) {
            ss += (x - mean) * (x - mean);
        }
        double halfWidth = 2.7764 * Math.sqrt(ss / 4) / Math.sqrt(5);        // t(0.975, 4) = 2.7764
        assertEquals(5, m.count());
        assertEquals(mean, m.f1().mean(), 1e-12);
        assertEquals(halfWidth, m.f1().ci95(), 1e-9);
        assertEquals("run-1|adapter-a|qwen", m.key());
    }

    @Test
    void studentQuantileJoinsTheTableSmoothlyAndTendsToTheNormal() {
        assertEquals(2.0423, RunMetrics.Moments.studentT975(30), 1e-9);
        assertEquals(2.0395, RunMetrics.Moments.studentT975(31), 2e-4);     // table value 2.0395
        assertEquals(1.9840, RunMetrics.Moments.studentT975(100), 2e-4);    // table value 1.9840
        assertEquals(1.96, RunMetrics.Moments.studentT975(1_000_000), 1e-4);
        assertTrue(Double.isNaN(RunMetrics.Moments.EMPTY.plus(0.5).ci95()));
    }

    @Test
    void roundTripsThroughJsonWithTheIntervalShown() {
        RunMetrics m = RunMetrics.NONE.plus(score(0.8), 5).plus(score(0.9), 6);
        byte[] json = Json.write(m);
        assertTrue(new String(json, java.nio.charset.StandardCharsets.UTF_8).contains("\"ci95\""));
        assertEquals(m, Json.read(json, RunMetrics.class));
    }

    @Test
    void aRunWithOneScoreWritesItsIntervalAsNullNotAsTheStringNaN() {
        String json = new String(Json.write(RunMetrics.Moments.EMPTY.plus(0.5)), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(json.contains("\"ci95\":null"), json);
        String two = new String(Json.write(RunMetrics.Moments.EMPTY.plus(0.5).plus(0.7)), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(two.matches(".*\"ci95\":[0-9.]+.*"), two);
    }
}
