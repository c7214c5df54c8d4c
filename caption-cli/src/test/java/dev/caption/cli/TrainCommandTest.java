package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDManager;
import dev.caption.nn.adapter.Adapter;

/** `caption dataset synth`, `caption train` and `caption compare-adapters` end to end on the tiny fixtures. */
class TrainCommandTest {

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");

    @TempDir
    static Path tmp;
    private static Path data;

    @BeforeAll
    static void synthesize() {
        data = tmp.resolve("shapes");
        CliRun synth = CliRun.of("dataset", "synth", "--out", data.toString(), "--count", "40", "--size", "64");
        assertEquals(0, synth.status(), synth.err());
    }

    private static String[] common(String... more) {
        String[] base = {"--data", data.toString(), "--clip", FIXTURES.resolve("clip-tiny").toString(), "--llm",
            FIXTURES.resolve("qwen3-tiny").toString(), "--features", tmp.resolve("features").toString(), "--lr", "1e-2",
            "--batch-size", "8"};
        String[] all = new String[base.length + more.length];
        System.arraycopy(more, 0, all, 0, more.length);
        System.arraycopy(base, 0, all, more.length, base.length);
        return all;
    }

    @Test
    void trainWritesTheBestAdapterTheCurveAndResumes() throws Exception {
        Path out = tmp.resolve("run");
        CliRun first = CliRun.of(common("train", "--strategy", "mlp", "--out", out.toString(), "--epochs", "1"));
        assertEquals(0, first.status(), first.err());
        assertTrue(first.out().contains("image mlp adapter (2,624 parameters, 16 prefix tokens): best validation loss"), first.out());
        assertTrue(Files.size(out.resolve("loss.png")) > 1000);
        assertTrue(Files.isRegularFile(out.resolve("history.json")));
        try (NDManager m = NDManager.newBaseManager(); Adapter a = Adapter.load(out.resolve("best"), m)) {
            assertEquals("mlp-run", a.spec().id());
            assertEquals(16, a.spec().vision().tokens());
            assertEquals(32, a.spec().llm().hiddenSize());
        }
        CliRun resumed = CliRun.of(common("train", "--strategy", "mlp", "--out", out.toString(), "--epochs", "2", "--resume"));
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.err().contains("epoch 2:") && !resumed.err().contains("epoch 1:"), resumed.err());
        assertTrue(resumed.err().contains("(cached: 40)") || !resumed.err().contains("encoding"), "features are reused");
    }

    @Test
    void compareAdaptersWritesAReportWithAChartPerMeasure() throws Exception {
        Path out = tmp.resolve("compare");
        CliRun run = CliRun.of(common("compare-adapters", "--strategies", "mean,avgpool", "--out", out.toString(),
                "--epochs", "1", "--bertscore-model", FIXTURES.resolve("roberta-tiny").toString(), "--bertscore-layer", "3",
                "--max-new-tokens", "6"));
        assertEquals(0, run.status(), run.err());
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("| mean | defaults | 1,568 | 1 |"), report);
        assertTrue(report.contains("| avgpool |"), report);
        for (String png : new String[] {"loss-curves", "validation-loss", "bertscore", "latency", "parameters", "prefix-tokens"}) {
            assertTrue(Files.size(out.resolve(png + ".png")) > 1000, png);
        }
    }

    @Test
    void aMissingDatasetOrUnknownStrategyIsAOneLineError() {
        CliRun missing = CliRun.of("train", "--data", tmp.resolve("nowhere").toString(), "--out", tmp.resolve("x").toString());
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("dataset not found"), missing.err());
        CliRun unknown = CliRun.of(common("train", "--strategy", "qformer", "--out", tmp.resolve("y").toString()));
        assertEquals(1, unknown.status());
        assertTrue(unknown.err().contains("unknown adapter strategy 'qformer'"), unknown.err());
    }
}
