package dev.caption.cli.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import ai.djl.ndarray.NDManager;
import dev.caption.core.message.Json;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.train.AdapterTrainer;
import dev.caption.nn.train.TrainingHistory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import dev.caption.cli.CaptionCommand;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train an adapter with teacher forcing through the frozen Qwen3.",
            "Cross-entropy on the captions, from CLIP features (or, with --modality audio, Whisper features) computed",
            "once into a feature cache. Writes OUT/best",
            "(the adapter to deploy), OUT/last (to --resume), OUT/loss.png and OUT/history.json."})
public final class TrainCommand extends CaptionCommand {

    @Mixin
    TrainingOptions options;

    @Option(names = "--strategy", defaultValue = "conv", paramLabel = "mean|avgpool|conv|resampler|mlp",
            description = "Pooling strategy (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--option", paramLabel = "KEY=N", description = "Strategy option, e.g. grid=3, tokens=4, queries=32, layers=2, width=512, kernel=2.")
    Map<String, Integer> strategyOptions = new HashMap<>();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the run writes its files.")
    Path out;

    @Option(names = "--adapter-id", paramLabel = "ID", description = "Id carried in prefix frames (default: <strategy>-<out dir name>).")
    String adapterId;

    @Option(names = "--resume", description = "Continue from OUT/last (identical to an uninterrupted run).")
    boolean resume;

    @Override
    public Integer call() throws IOException {
        TrainingRun run = new TrainingRun(options, err());
        TrainingRun.Prepared data = run.prepare(out);
        try (NDManager manager = NDManager.newBaseManager();
             Qwen3Captioner lm = run.loadLlm()) {
            String id = adapterId != null ? adapterId : strategy + "-" + out.toAbsolutePath().getFileName();
            Adapter adapter = resume && Files.isRegularFile(out.resolve(AdapterTrainer.LAST).resolve(AdapterSpec.JSON))
                    ? Adapter.load(out.resolve(AdapterTrainer.LAST), manager)
                    : Adapter.create(TrainingRun.spec(id, strategy, options.strategyOptions(strategy, strategyOptions),
                    data.features().source(), lm), manager, options.seed);
            try (adapter) {
                TrainingHistory h = run.train(adapter, lm, data, out, resume, manager, "train " + strategy);
                Charts.lossCurve(out.resolve("loss.png"), strategy + " adapter: loss", h);
                Files.write(out.resolve("history.json"), Json.write(h));
                TrainingHistory.Epoch best = h.epochs().stream()
                        .min(java.util.Comparator.comparingDouble(TrainingHistory.Epoch::validationLoss)).orElseThrow();
                out().printf(Locale.ROOT, "%s %s adapter (%,d parameters, %d prefix tokens%s): best validation loss %.4f "
                                + "at epoch %d; adapter in %s, curve in %s%n", adapter.spec().vision().modality(), strategy,
                        adapter.parameterCount(), adapter.prefixTokens(), adapter.spec().vision().audio()
                                ? " for a full " + adapter.spec().vision().tokens() + "-frame clip" : "",
                        best.validationLoss(), best.epoch(), out.resolve(AdapterTrainer.BEST),
                        out.resolve("loss.png"));
            }
        } finally {
            data.features().close();
        }
        return 0;
    }
}
