package dev.caption.cli.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import ai.djl.ndarray.NDManager;
import dev.caption.cli.CaptionCommand;
import dev.caption.cli.DownloadProgress;
import dev.caption.cli.Formats;
import dev.caption.cli.SyntheticWorld;
import dev.caption.core.message.Json;
import dev.caption.core.message.RunMetrics;
import dev.caption.core.message.Score;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.bert.BertScoreSpec;
import dev.caption.nn.bert.BertScorer;
import dev.caption.nn.bert.Prf;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Decoding;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.shapes.ShapesAccuracy;
import dev.caption.nn.shapes.ShapesWorld;
import dev.caption.nn.train.AdapterTrainer;
import dev.caption.nn.train.TrainingDivergedException;
import dev.caption.nn.train.TrainingHistory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "compare-adapters", mixinStandardHelpOptions = true,
        description = {"Compare pooling strategies: train each on the same data and budget, caption, score, report.",
            "Captions the held-out split with each, and writes a report with PNG charts: right captions (shapes world), BERTScore",
            "with 95%% intervals, train and validation loss curves, training time, latency, parameters and prefix tokens."})
public final class CompareAdaptersCommand extends CaptionCommand {

    @Mixin
    TrainingOptions options;

    static final List<String> IMAGE_STRATEGIES = List.of("mean", "avgpool", "conv", "resampler", "mlp");
    /** avgpool and resampler work on the image's patch grid and refuse audio. */
    static final List<String> AUDIO_STRATEGIES = List.of("mean", "conv");

    @Option(names = "--strategies", split = ",", paramLabel = "S[:KEY=N...]",
            description = {"Strategies to compare, each optionally with its options: conv:kernel=4, resampler:queries=4:layers=2",
                "(default: mean,avgpool,conv,resampler,mlp; for --modality audio mean,conv)."})
    List<String> strategies;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where runs, features and charts go.")
    Path out;

    @Option(names = "--report", paramLabel = "FILE.md", description = {"The report (default: OUT/report.md); its charts go",
        "beside it, in a directory named after it."})
    Path report;

    @Option(names = "--bertscore-model", paramLabel = "HF-ID|DIR", description = "Default: roberta-large; with --synthetic the bundled roberta-tiny.")
    String bertModel;
    @Option(names = "--bertscore-layer", paramLabel = "L") Integer bertLayer;
    @Option(names = "--rescale", description = "Rescale BERTScore with bert_score's baseline (roberta-large L17).") boolean rescale;
    @Option(names = "--eval-images", defaultValue = "400", description = "Held-out images captioned per strategy (default: ${DEFAULT-VALUE}).") int evalImages;
    @Option(names = "--max-new-tokens", defaultValue = "32") int maxNewTokens;
    @Option(names = "--caption-batch", defaultValue = "16", description = "Images per generation batch.") int captionBatch;

    /** One strategy with its options, as {@code conv:kernel=4}. */
    record Variant(String label, String strategy, Map<String, Integer> options) {
        static Variant parse(String text) {
            String[] parts = text.strip().split(":");
            Map<String, Integer> options = new TreeMap<>();
            for (int i = 1; i < parts.length; i++) {
                String[] kv = parts[i].split("=", 2);
                try {
                    options.put(kv[0], Integer.parseInt(kv[1]));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("--strategies: '" + parts[i] + "' in '" + text
                            + "' is not KEY=N (e.g. conv:kernel=4)");
                }
            }
            return new Variant(text.strip(), parts[0], options);
        }
    }

    /** One variant's results. */
    record Result(Variant variant, Map<String, Integer> options, long parameters, int prefixTokens,
                  TrainingHistory history, double trainSeconds, RunMetrics bertscore, Optional<ShapesAccuracy> accuracy,
                  double adapterMsPerImage, double captionMsPerImage, List<Sample> samples, Optional<String> note) {
    }

    /** A held-out image's caption, a reference, and (shapes world) its verdict. */
    record Sample(String id, String caption, String reference, String verdict) {
    }

    @Override
    public Integer call() throws IOException {
        Files.createDirectories(out);
        List<Variant> variants = (strategies != null ? strategies : options.audio() ? AUDIO_STRATEGIES : IMAGE_STRATEGIES)
                .stream().map(Variant::parse).toList();
        TrainingRun run = new TrainingRun(options, err());
        TrainingRun.Prepared data = run.prepare(out);
        List<Datasets.Entry> heldOut = data.test().isEmpty()
                ? data.validation().stream().map(e -> new Datasets.Entry(e.id(), null, e.captions(), Datasets.Split.VAL)).toList()
                : data.test();
        heldOut = heldOut.subList(0, Math.min(evalImages, heldOut.size()));
        err().printf("held-out: %d %s from the %s split%n", heldOut.size(), options.audio() ? "clips" : "images",
                data.test().isEmpty() ? "validation" : "test");
        List<Result> results = new ArrayList<>();
        List<String> diverged = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager();
             Qwen3Captioner lm = run.loadLlm();
             BertScorer scorer = openScorer()) {
            for (Variant v : variants) {
                Path dir = out.resolve(v.label().replace(':', '_').replace('=', '-'));
                Map<String, Integer> strategyOptions = options.strategyOptions(v.strategy(), v.options());
                try (Adapter adapter = Adapter.create(TrainingRun.spec(v.strategy() + "-compare", v.strategy(),
                        strategyOptions, data.features().source(), lm), manager, options.seed)) {
                    long t0 = System.nanoTime();
                    TrainingHistory h;
                    Optional<String> note = Optional.empty();
                    try {
                        h = run.train(adapter, lm, data, dir, false, manager, "train " + v.label());
                    } catch (TrainingDivergedException e) {
                        // one unstable variant must not cost the others: report its last good epoch, or that it had none
                        err().println(v.label() + ": " + e.getMessage());
                        h = e.history();
                        note = Optional.of(String.format(Locale.ROOT, "diverged at step %d (lr %.3g)%s", e.step(),
                                e.learningRate(), h.epochs().isEmpty() ? ", before its first epoch ended" : "; best epoch before it"));
                        if (h.epochs().isEmpty()) {
                            diverged.add(v.label() + ": " + note.get());
                            continue;
                        }
                    }
                    if (!h.skipped().isEmpty() && note.isEmpty()) {
                        note = Optional.of(h.skipped().size() + " step" + (h.skipped().size() == 1 ? "" : "s")
                                + " skipped for a non-finite loss or gradient (" + String.join("; ", h.skipped()) + ")");
                    }
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    Charts.lossCurve(dir.resolve("loss.png"), v.label() + " adapter: loss", h);
                    try (Adapter best = Adapter.load(dir.resolve(AdapterTrainer.BEST), manager)) {
                        results.add(evaluate(v, strategyOptions, best, h, seconds, heldOut, data, lm, scorer, note));
                    }
                }
            }
        } finally {
            data.features().close();
        }
        Path md = writeReport(results, diverged, heldOut.size());
        out().println("report: " + md);
        return 0;
    }

    private BertScorer openScorer() {
        String model = bertModel != null ? bertModel
                : options.synthetic ? SyntheticWorld.models().bertscore().toString() : BertScoreSpec.DEFAULT_MODEL;
        Optional<Integer> layer = Optional.ofNullable(bertLayer)
                .or(() -> bertModel == null && options.synthetic ? Optional.of(SyntheticWorld.models().bertscoreLayer()) : Optional.empty());
        try {
            return BertScoreSpec.builder(model).layer(layer).rescaling(BertScoreSpec.Rescaling.of(rescale, null))
                    .device(options.device).build().open(HubEnvironment.fromSystem(), new DownloadProgress(err()));
        } catch (BertScoreSpec.MissingLayerException e) {
            throw e.naming("--bertscore-layer");
        }
    }

    private Result evaluate(Variant v, Map<String, Integer> strategyOptions, Adapter adapter, TrainingHistory h,
                            double trainSeconds, List<Datasets.Entry> heldOut, TrainingRun.Prepared data, Qwen3Captioner lm,
                            BertScorer scorer, Optional<String> note) {
        long adapterNanos = 0;
        long captionNanos = 0;
        List<String> captions = new ArrayList<>();
        long prefixTokens = 0;
        int hidden = adapter.spec().llm().hiddenSize();
        for (int from = 0; from < heldOut.size(); from += captionBatch) {
            List<Datasets.Entry> batch = heldOut.subList(from, Math.min(heldOut.size(), from + captionBatch));
            List<float[]> features = batch.stream().map(e -> data.features().features(e.id())).toList();
            long t0 = System.nanoTime();
            List<float[]> prefixes = adapter.project(features);
            long t1 = System.nanoTime();
            List<Qwen3Captioner.Item> items = prefixes.stream()
                    .map(p -> Qwen3Captioner.Item.of(adapter.spec().prompt(), p, p.length / hidden)).toList();
            prefixTokens += prefixes.stream().mapToLong(p -> p.length / hidden).sum();
            lm.generate(items, new Decoding.Greedy(maxNewTokens)).first().forEach(r -> captions.add(r.text()));
            adapterNanos += t1 - t0;
            captionNanos += System.nanoTime() - t1;
        }
        List<List<String>> references = heldOut.stream().map(Datasets.Entry::captions).toList();
        List<Prf> scores = scorer.score(captions, references, scorer.uniform());
        RunMetrics agg = RunMetrics.NONE;
        for (int i = 0; i < scores.size(); i++) {
            Prf s = scores.get(i);
            agg = agg.plus(new Score(heldOut.get(i).id(), "compare", lm.modelId(), v.label(), scorer.id(false), s.p(),
                    s.r(), s.f(), captions.get(i), references.get(i)), 0);
        }
        // the shapes world's references name one scene each: then captions can be judged right or wrong
        List<Optional<ShapesWorld.Scene>> scenes = references.stream().map(ShapesWorld::sceneOf).toList();
        Optional<ShapesAccuracy> accuracy = scenes.stream().allMatch(Optional::isPresent)
                ? Optional.of(ShapesAccuracy.of(scenes.stream().map(Optional::get).toList(), captions)) : Optional.empty();
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < captions.size() && samples.size() < 4; i++) {
            String caption = captions.get(i);
            String verdict = scenes.get(i).map(sc -> ShapesWorld.judge(sc, caption).label()).orElse("");
            boolean wrongOne = !verdict.isEmpty() && !verdict.equals("right");
            if (samples.size() < 2 || wrongOne) {
                samples.add(new Sample(heldOut.get(i).id(), captions.get(i), references.get(i).get(0), verdict));
            }
        }
        double adapterMs = adapterNanos / 1e6 / heldOut.size();
        double captionMs = captionNanos / 1e6 / heldOut.size();
        err().printf(Locale.ROOT, "%s: %sBERTScore F %s, trained in %.0f s, %.1f ms/image adapter, %.1f ms/image captioning%n",
                v.label(), accuracy.map(a -> "right " + a.right() + "/" + a.images() + ", ").orElse(""),
                Formats.meanCi(agg.f1()), trainSeconds, adapterMs, captionMs);
        // an audio prefix is as long as its clip for conv: report the held-out mean
        return new Result(v, strategyOptions, adapter.parameterCount(), (int) Math.round((double) prefixTokens / heldOut.size()),
                h, trainSeconds, agg,
                accuracy, adapterMs, captionMs, samples, note);
    }

    private Path writeReport(List<Result> results, List<String> diverged, int heldOut) throws IOException {
        Path md = report != null ? report : out.resolve("report.md");
        String stem = md.getFileName().toString().replaceFirst("\\.md$", "");
        Path charts = md.toAbsolutePath().getParent().resolve(report != null ? stem : "");
        Files.createDirectories(charts);
        String rel = report != null ? stem + "/" : "";
        boolean shapes = results.stream().allMatch(r -> r.accuracy().isPresent());

        Map<String, TrainingHistory> curves = new LinkedHashMap<>();
        Map<String, Charts.Bar> params = new LinkedHashMap<>();
        Map<String, Charts.Bar> tokens = new LinkedHashMap<>();
        Map<String, Charts.Bar> val = new LinkedHashMap<>();
        Map<String, Charts.Bar> f1 = new LinkedHashMap<>();
        Map<String, Charts.Bar> right = new LinkedHashMap<>();
        Map<String, Charts.Bar> latency = new LinkedHashMap<>();
        Map<String, Charts.Bar> time = new LinkedHashMap<>();
        for (Result r : results) {
            String k = r.variant().label();
            curves.put(k, r.history());
            params.put(k, new Charts.Bar(r.parameters(), 0));
            tokens.put(k, new Charts.Bar(r.prefixTokens(), 0));
            val.put(k, new Charts.Bar(r.history().bestValidationLoss(), 0));
            f1.put(k, new Charts.Bar(r.bertscore().f1().mean(), orZero(r.bertscore().f1().ci95())));
            r.accuracy().ifPresent(a -> {
                double[] ci = a.wilson95();
                right.put(k, new Charts.Bar(100 * a.fraction(), 100 * Math.max(a.fraction() - ci[0], ci[1] - a.fraction())));
            });
            latency.put(k, new Charts.Bar(r.adapterMsPerImage() + r.captionMsPerImage(), 0));
            time.put(k, new Charts.Bar(r.trainSeconds(), 0));
        }
        List<String> pngs = new ArrayList<>();
        if (shapes) {
            Charts.bars(charts.resolve("right-captions.png"), "right captions on held-out images (colour and shape), 95% interval",
                    "% right", right, true, "0.0");
            pngs.add("right-captions");
        }
        Charts.lossCurves(charts.resolve("loss-curves.png"), "loss per strategy: validation (solid) and train (faint, smoothed)", curves);
        Charts.bars(charts.resolve("bertscore.png"), "BERTScore F on the held-out images, 95% interval", "F", f1, false, "0.000");
        Charts.bars(charts.resolve("validation-loss.png"), "best validation loss", "loss", val, false, "0.000");
        Charts.bars(charts.resolve("train-time.png"), "training time", "seconds", time, true, "0");
        Charts.bars(charts.resolve("latency.png"), "captioning latency per image (adapter + generation)", "ms", latency, true, "0.0");
        Charts.bars(charts.resolve("parameters.png"), "trainable parameters", "parameters", params, true, "#,##0");
        Charts.bars(charts.resolve("prefix-tokens.png"), "prefix tokens", "tokens", tokens, true, "0");
        pngs.addAll(List.of("loss-curves", "bertscore", "validation-loss", "train-time", "latency", "parameters", "prefix-tokens"));

        StringBuilder sb = new StringBuilder("# Adapter strategy comparison\n\n");
        // the parse result holds the whole command line, the command's own name included
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        int own = args.indexOf(spec.name());
        sb.append("Regenerate with:\n\n```bash\n./caption compare-adapters ")
                .append(String.join(" ", args.subList(own + 1, args.size()))).append("\n```\n\n");
        sb.append(String.format(Locale.ROOT, "Data: `%s`; %s; LLM `%s`; every strategy trained with the same "
                        + "budget: %d epochs, batch %d, lr %s, seed %d; %d held-out %s captioned greedily; BERTScore `%s`.%n%n",
                options.synthetic && options.data == null ? (options.audio() ? "the synthetic tones world (" + SyntheticWorld.CLIPS
                        + " clips)" : "the synthetic shapes world (" + SyntheticWorld.IMAGES + " images)")
                        : String.valueOf(options.data), options.audio() ? "Whisper `" + shortName(options.audioEncoderModel())
                        + "` (last hidden state, the frames each clip covers)" : "CLIP `" + shortName(options.clipModel())
                        + "` layer " + options.layer,
                shortName(options.llmModel()), options.epochs, options.batchSize, options.lr, options.seed, heldOut,
                options.audio() ? "clips" : "images",
                results.isEmpty() ? "" : shortName(results.get(0).bertscore().scorer())));
        sb.append("| strategy | options | trainable params | prefix tokens |").append(shapes ? " right captions | colour | shape |" : "")
                .append(" best val loss | final train loss | BERTScore F | train s | adapter ms/img | caption ms/img |\n");
        sb.append("|---|---|---:|---:|").append(shapes ? "---|---:|---:|" : "").append("---:|---:|---|---:|---:|---:|\n");
        for (Result r : results) {
            List<TrainingHistory.Epoch> e = r.history().epochs();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,d | %d |", r.variant().label(), r.options().isEmpty() ? "defaults"
                    : r.options().toString().replaceAll("[{}]", ""), r.parameters(), r.prefixTokens()));
            r.accuracy().ifPresent(a -> {
                double[] ci = a.wilson95();
                sb.append(String.format(Locale.ROOT, " %d/%d (%.1f%%, %.1f–%.1f) | %d | %d |", a.right(), a.images(),
                        100 * a.fraction(), 100 * ci[0], 100 * ci[1], a.colourRight(), a.shapeRight()));
            });
            sb.append(String.format(Locale.ROOT, " %.4f | %.4f | %s | %.0f | %.2f | %.1f |%n", r.history().bestValidationLoss(),
                    e.isEmpty() ? Double.NaN : e.get(e.size() - 1).trainLoss(), Formats.meanCi(r.bertscore().f1()),
                    r.trainSeconds(), r.adapterMsPerImage(), r.captionMsPerImage()));
        }
        sb.append("\n");
        for (Result r : results) {
            r.note().ifPresent(n -> sb.append("- ").append(r.variant().label()).append(": ").append(n).append(".\n"));
        }
        diverged.forEach(d -> sb.append("- ").append(d).append(": not in the table.\n"));
        if (results.stream().anyMatch(r -> r.note().isPresent()) || !diverged.isEmpty()) {
            sb.append("\n");
        }
        if (shapes) {
            sb.append("Right captions: the caption names the image's colour and shape and no other (Wilson 95% interval). ");
        }
        sb.append("BERTScore: mean ± 95% CI over the held-out images. Latency: wall time per image of the adapter forward "
                + "and of greedy captioning, in batches of ").append(captionBatch).append(".\n\n");
        for (String png : pngs) {
            sb.append("![").append(png).append("](").append(rel).append(png).append(".png)\n\n");
        }
        sb.append("## Sample captions\n\n| strategy | image | caption |").append(shapes ? " verdict |" : "").append(" a reference |\n")
                .append("|---|---|---|").append(shapes ? "---|" : "").append("---|\n");
        for (Result r : results) {
            for (Sample s : r.samples()) {
                sb.append("| ").append(r.variant().label()).append(" | ").append(s.id()).append(" | ").append(cell(s.caption()))
                        .append(" |").append(shapes ? " " + s.verdict() + " |" : "").append(" ").append(cell(s.reference())).append(" |\n");
            }
        }
        Files.writeString(md, sb);
        List<Map<String, Object>> json = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("strategy", r.variant().strategy());
            m.put("label", r.variant().label());
            m.put("options", r.options());
            m.put("parameters", r.parameters());
            m.put("prefix_tokens", r.prefixTokens());
            m.put("best_validation_loss", r.history().bestValidationLoss());
            m.put("train_seconds", r.trainSeconds());
            m.put("bertscore", r.bertscore());
            r.accuracy().ifPresent(a -> m.put("shapes_accuracy", a));
            m.put("adapter_ms_per_image", r.adapterMsPerImage());
            m.put("caption_ms_per_image", r.captionMsPerImage());
            r.note().ifPresent(n -> m.put("note", n));
            json.add(m);
        }
        Files.write(out.resolve("results.json"), Json.write(json));
        return md;
    }

    private static double orZero(Double d) {
        return d == null || d.isNaN() ? 0 : d;
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    /** A local model directory by its name (paths differ from machine to machine), a hub id as it is. */
    private static String shortName(String model) {
        return model.startsWith("/") ? Path.of(model).getFileName().toString() : model;
    }
}
