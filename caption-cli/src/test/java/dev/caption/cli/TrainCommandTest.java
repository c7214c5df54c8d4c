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
    void trainOnAudioCapsWritesAnAudioAdapterWithTheAudioPrompt() throws Exception {
        Path tones = tmp.resolve("tones");
        CliRun synth = CliRun.of("dataset", "synth", "--modality", "audio", "--out", tones.toString(), "--count", "30");
        assertEquals(0, synth.status(), synth.err());
        CliRun info = CliRun.of("dataset", "info", tones.toString());
        assertEquals("AudioCaps (train.csv + val.csv + test.csv): 30 clips (train 24, validation 3, test 3), 90 captions",
                info.out().strip());
        Path out = tmp.resolve("audio-run");
        CliRun run = CliRun.of("train", "--modality", "audio", "--data", tones.toString(), "--audio-encoder",
                FIXTURES.resolve("whisper-tiny").toString(), "--llm", FIXTURES.resolve("qwen3-tiny").toString(),
                "--strategy", "conv", "--out", out.toString(), "--epochs", "1", "--batch-size", "8");
        assertEquals(0, run.status(), run.err());
        assertTrue(run.err().contains("encoding 30 clips"), run.err());
        assertTrue(run.out().contains("audio conv adapter"), run.out());
        try (NDManager m = NDManager.newBaseManager(); Adapter a = Adapter.load(out.resolve("best"), m)) {
            assertTrue(a.spec().vision().audio());
            assertEquals(1500, a.spec().vision().tokens());
            assertTrue(a.spec().prompt().template().contains("Describe the audio in one sentence."));
        }
        // images with --modality audio, and audio without it, are refused naming the option
        CliRun wrong = CliRun.of("train", "--data", tones.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(1, wrong.status());
        assertTrue(wrong.err().contains("holds audio clips: pass --modality audio"), wrong.err());
        CliRun avgpool = CliRun.of("train", "--modality", "audio", "--data", tones.toString(), "--audio-encoder",
                FIXTURES.resolve("whisper-tiny").toString(), "--llm", FIXTURES.resolve("qwen3-tiny").toString(),
                "--strategy", "avgpool", "--out", tmp.resolve("y").toString(), "--epochs", "1");
        assertEquals(1, avgpool.status());
        assertTrue(avgpool.err().contains("use --strategy conv or mean (or mlp) for audio"), avgpool.err());
        // compare-adapters on audio: mean and conv by default, the held-out clips captioned and scored
        Path compare = tmp.resolve("audio-compare");
        CliRun cmp = CliRun.of("compare-adapters", "--modality", "audio", "--data", tones.toString(), "--audio-encoder",
                FIXTURES.resolve("whisper-tiny").toString(), "--llm", FIXTURES.resolve("qwen3-tiny").toString(),
                "--out", compare.toString(), "--epochs", "1", "--bertscore-model", FIXTURES.resolve("roberta-tiny").toString(),
                "--bertscore-layer", "3", "--max-new-tokens", "6");
        assertEquals(0, cmp.status(), cmp.err());
        assertTrue(cmp.err().contains("held-out: 3 clips from the test split"), cmp.err());
        String report = Files.readString(compare.resolve("report.md"));
        assertTrue(report.contains("| mean |") && report.contains("| conv |") && !report.contains("| avgpool |"), report);
        assertTrue(report.contains("3 held-out clips captioned greedily"), report);
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
