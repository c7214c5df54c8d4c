package dev.caption.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import ai.djl.ndarray.NDManager;
import dev.caption.core.message.Json;
import dev.caption.core.message.RunMetrics;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.bert.Baseline;
import dev.caption.nn.bert.BertScorer;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Decoding;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.train.AdapterTrainer;
import dev.caption.nn.train.TrainingHistory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "compare-adapters", mixinStandardHelpOptions = true,
        description = {"Train several pooling strategies on the same data and budget, caption the held-out split with",
            "each, and write OUT/report.md with PNG charts: trainable parameters, prefix tokens, train and validation",
            "loss curves, BERTScore on the held-out split, and captioning latency."})
public final class CompareAdaptersCommand implements Callable<Integer> {

    @Mixin
    TrainingOptions options;

    @Option(names = "--strategies", split = ",", defaultValue = "mean,avgpool,conv,resampler,mlp",
            description = "Strategies to compare (default: ${DEFAULT-VALUE}).")
    List<String> strategies;

    @Option(names = "--out", required = true, paramLabel = "DIR") Path out;

    @Option(names = "--bertscore-model", defaultValue = BertScorer.DEFAULT_MODEL, paramLabel = "HF-ID|DIR") String bertModel;
    @Option(names = "--bertscore-layer", paramLabel = "L") Integer bertLayer;
    @Option(names = "--rescale", description = "Rescale BERTScore with bert_score's baseline (roberta-large L17).") boolean rescale;
    @Option(names = "--eval-images", defaultValue = "200", description = "Held-out images captioned per strategy (default: ${DEFAULT-VALUE}).") int evalImages;
    @Option(names = "--max-new-tokens", defaultValue = "32") int maxNewTokens;
    @Option(names = "--caption-batch", defaultValue = "8", description = "Images per generation batch.") int captionBatch;

    /** One strategy's results. */
    record Result(String strategy, long parameters, int prefixTokens, TrainingHistory history, RunMetrics bertscore,
                  double adapterMsPerImage, double captionMsPerImage, List<String[]> samples) {
    }

    @Override
    public Integer call() throws IOException {
        Files.createDirectories(out);
        TrainingOptions.Prepared data = options.prepare(out.resolve("features"));
        List<Datasets.Entry> heldOut = data.test().isEmpty()
                ? data.validation().stream().map(e -> new Datasets.Entry(e.id(), null, e.captions(), Datasets.Split.VAL)).toList()
                : data.test();
        heldOut = heldOut.subList(0, Math.min(evalImages, heldOut.size()));
        System.err.printf("held-out: %d images from the %s split%n", heldOut.size(), data.test().isEmpty() ? "validation" : "test");
        List<Result> results = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager();
             Qwen3Captioner lm = options.loadLlm();
             BertScorer scorer = BertScorer.load(bertModel, null, Optional.ofNullable(bertLayer), options.device,
                     BertScorer.DEFAULT_BATCH, HubEnvironment.fromSystem(), new DownloadProgress())) {
            Optional<Baseline> baseline = rescale ? Optional.of(Baseline.builtIn(scorer.modelId(), scorer.layer())) : Optional.empty();
            for (String strategy : strategies) {
                Path dir = out.resolve(strategy);
                try (Adapter adapter = Adapter.create(options.spec(strategy + "-compare", strategy, Map.of(),
                        data.features().source(), lm), manager, options.seed)) {
                    TrainingHistory h = options.train(adapter, lm, data, dir, false, manager, "train " + strategy);
                    Charts.lossCurve(dir.resolve("loss.png"), strategy + " adapter: loss", h);
                    try (Adapter best = Adapter.load(dir.resolve(AdapterTrainer.BEST), manager)) {
                        results.add(evaluate(strategy, best, h, heldOut, data, lm, scorer, baseline));
                    }
                }
            }
        } finally {
            data.features().close();
        }
        writeReport(results);
        System.out.println("report: " + out.resolve("report.md"));
        return 0;
    }

    private Result evaluate(String strategy, Adapter adapter, TrainingHistory h, List<Datasets.Entry> heldOut,
                            TrainingOptions.Prepared data, Qwen3Captioner lm, BertScorer scorer, Optional<Baseline> baseline) {
        long adapterNanos = 0;
        long captionNanos = 0;
        List<String> captions = new ArrayList<>();
        for (int from = 0; from < heldOut.size(); from += captionBatch) {
            List<Datasets.Entry> batch = heldOut.subList(from, Math.min(heldOut.size(), from + captionBatch));
            List<float[]> features = batch.stream().map(e -> data.features().features(e.id())).toList();
            long t0 = System.nanoTime();
            List<float[]> prefixes = adapter.project(features);
            long t1 = System.nanoTime();
            List<Qwen3Captioner.Item> items = prefixes.stream()
                    .map(p -> Qwen3Captioner.Item.image(p, adapter.prefixTokens())).toList();
            lm.generate(items, new Decoding.Greedy(maxNewTokens)).forEach(r -> captions.add(r.get(0).text()));
            long t2 = System.nanoTime();
            adapterNanos += t1 - t0;
            captionNanos += t2 - t1;
        }
        List<BertScorer.Prf> scores = scorer.score(captions, heldOut.stream().map(Datasets.Entry::captions).toList(),
                scorer.uniform(), baseline);
        RunMetrics agg = RunMetrics.NONE;
        List<String[]> samples = new ArrayList<>();
        for (int i = 0; i < scores.size(); i++) {
            BertScorer.Prf s = scores.get(i);
            agg = agg.plus(new dev.caption.core.message.Score(heldOut.get(i).id(), "compare", lm.modelId(), strategy,
                    scorer.modelId(), s.p(), s.r(), s.f(), captions.get(i), heldOut.get(i).captions()), 0);
            if (i < 3) {
                samples.add(new String[] {heldOut.get(i).id(), captions.get(i), heldOut.get(i).captions().get(0)});
            }
        }
        System.err.printf(Locale.ROOT, "%s: BERTScore F %s, %.1f ms/image adapter, %.1f ms/image captioning%n", strategy,
                EvalCommand.meanCi(agg.f1()), adapterNanos / 1e6 / heldOut.size(), captionNanos / 1e6 / heldOut.size());
        return new Result(strategy, adapter.parameterCount(), adapter.prefixTokens(), h, agg,
                adapterNanos / 1e6 / heldOut.size(), captionNanos / 1e6 / heldOut.size(), samples);
    }

    private void writeReport(List<Result> results) throws IOException {
        Map<String, TrainingHistory> curves = new LinkedHashMap<>();
        Map<String, Number> params = new LinkedHashMap<>();
        Map<String, Number> tokens = new LinkedHashMap<>();
        Map<String, Number> val = new LinkedHashMap<>();
        Map<String, Number> f1 = new LinkedHashMap<>();
        Map<String, Number> latency = new LinkedHashMap<>();
        for (Result r : results) {
            curves.put(r.strategy(), r.history());
            params.put(r.strategy(), r.parameters());
            tokens.put(r.strategy(), r.prefixTokens());
            val.put(r.strategy(), r.history().bestValidationLoss());
            f1.put(r.strategy(), r.bertscore().f1().mean());
            latency.put(r.strategy(), r.adapterMsPerImage() + r.captionMsPerImage());
        }
        Charts.lossCurves(out.resolve("loss-curves.png"), "train and validation loss per strategy", curves);
        Charts.bars(out.resolve("parameters.png"), "trainable parameters", "parameters", params);
        Charts.bars(out.resolve("prefix-tokens.png"), "prefix tokens", "tokens", tokens);
        Charts.bars(out.resolve("validation-loss.png"), "best validation loss", "loss", val);
        Charts.bars(out.resolve("bertscore.png"), "BERTScore F on the held-out split", "F", f1);
        Charts.bars(out.resolve("latency.png"), "captioning latency per image (adapter + generation)", "ms", latency);

        StringBuilder md = new StringBuilder("# Adapter strategy comparison\n\n");
        md.append(String.format(Locale.ROOT, "Data: `%s`; CLIP `%s` layer %d; LLM `%s`; %d epochs, batch %d, lr %s, seed %d; "
                        + "BERTScore `%s`%s.%n%n", options.data, options.clip, options.layer, options.llm, options.epochs,
                options.batchSize, options.lr, options.seed, bertModel, rescale ? " (rescaled)" : ""));
        md.append("| strategy | trainable params | prefix tokens | best val loss | final train loss | BERTScore P | BERTScore R | BERTScore F | adapter ms/img | caption ms/img |\n");
        md.append("|---|---:|---:|---:|---:|---|---|---|---:|---:|\n");
        for (Result r : results) {
            List<TrainingHistory.Epoch> e = r.history().epochs();
            md.append(String.format(Locale.ROOT, "| %s | %,d | %d | %.4f | %.4f | %s | %s | %s | %.2f | %.1f |%n", r.strategy(),
                    r.parameters(), r.prefixTokens(), r.history().bestValidationLoss(), e.get(e.size() - 1).trainLoss(),
                    EvalCommand.meanCi(r.bertscore().precision()), EvalCommand.meanCi(r.bertscore().recall()),
                    EvalCommand.meanCi(r.bertscore().f1()), r.adapterMsPerImage(), r.captionMsPerImage()));
        }
        md.append("\nBERTScore: mean ± 95% CI over the held-out images. Latency: wall time per image of the adapter "
                + "forward and of greedy captioning, in batches of ").append(captionBatch).append(".\n\n");
        for (String png : List.of("loss-curves", "validation-loss", "bertscore", "latency", "parameters", "prefix-tokens")) {
            md.append("![").append(png).append("](").append(png).append(".png)\n\n");
        }
        md.append("## Sample captions\n\n| strategy | image | caption | a reference |\n|---|---|---|---|\n");
        for (Result r : results) {
            for (String[] s : r.samples()) {
                md.append("| ").append(r.strategy()).append(" | ").append(s[0]).append(" | ")
                        .append(s[1].replace("|", "\\|").replace("\n", " ")).append(" | ").append(s[2].replace("|", "\\|")).append(" |\n");
            }
        }
        Files.writeString(out.resolve("report.md"), md);
        Files.write(out.resolve("results.json"), Json.write(results.stream().map(r -> Map.of("strategy", r.strategy(),
                "parameters", r.parameters(), "prefix_tokens", r.prefixTokens(), "best_validation_loss",
                r.history().bestValidationLoss(), "bertscore", r.bertscore(), "adapter_ms_per_image", r.adapterMsPerImage(),
                "caption_ms_per_image", r.captionMsPerImage())).toList()));
    }
}
