package dev.caption.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.qwen3.Qwen3Config;
import dev.caption.nn.qwen3.Qwen3ForCausalLM;
import dev.caption.nn.qwen3.Qwen3Tokenizer;
import dev.caption.nn.train.AdapterTrainer;
import dev.caption.nn.train.FeatureSource;
import dev.caption.nn.train.TrainSettings;
import dev.caption.nn.train.TrainingExample;
import dev.caption.nn.train.TrainingListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.caption.cli.CaptionCommand;

/**
 * Adapter training step time through a Qwen3-0.6B-shaped model (random weights), and RSS over many steps; plus the
 * adapters' inference throughput at ViT-B/32 → Qwen3-0.6B sizes.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Training step time and memory, and adapter inference speed per strategy.",
            "Forward + backward through a frozen Qwen3 (fp32) with an mlp adapter on 49 ViT-B/32 feature tokens and 32 caption tokens per row, RSS per step (leak check), and adapter",
            "inference images/s per strategy. --llm DIR uses that checkpoint instead of a random 0.6B (e.g. a soak",
            "with qwen3-tiny)."})
public final class BenchTrainCommand extends CaptionCommand {

    @Option(names = "--tokenizer", required = true, paramLabel = "DIR", description = "A directory with Qwen3's tokenizer.json.")
    Path tokenizerDir;

    @Option(names = "--llm", paramLabel = "DIR", description = "A Qwen3 checkpoint instead of the random 0.6B.")
    Path llmDir;

    @Option(names = "--batch-size", defaultValue = "8") int batchSize;
    @Option(names = "--steps", defaultValue = "4", description = "Training steps timed (the first is warm-up).") int steps;
    @Option(names = "--adapter-batch", defaultValue = "32") int adapterBatch;
    @Option(names = "--skip-adapters", description = "Only the training step.") boolean skipAdapters;

    private static final int TOKENS = 49;
    private static final int VISION = 768;

    @Override
    public Integer call() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
             Qwen3Tokenizer tokenizer = Qwen3Tokenizer.load(tokenizerDir.resolve("tokenizer.json"))) {
            Qwen3ForCausalLM llm = llmDir != null
                    ? Qwen3ForCausalLM.load(llmDir, List.of("model.safetensors"), manager)
                    : Qwen3ForCausalLM.random(Qwen3Config.qwen3_0_6b(), manager, 3, Qwen3ForCausalLM.Use.TRAINING);
            int hidden = llm.config().hiddenSize();
            out().printf(Locale.ROOT, "bench train: %s (hidden %d, %d layers), fp32 CPU, %d threads, batch %d, "
                            + "%d image tokens + 32 caption tokens per row%n", llmDir != null ? llmDir : "Qwen3-0.6B shape, random weights",
                    hidden, llm.config().numHiddenLayers(), Runtime.getRuntime().availableProcessors(), batchSize, TOKENS);
            trainSteps(manager, llm, tokenizer, hidden);
            if (!skipAdapters) {
                adapterThroughput(manager, hidden);
            }
            llm.close();
        }
        return 0;
    }

    private void trainSteps(NDManager manager, Qwen3ForCausalLM llm, Qwen3Tokenizer tokenizer, int hidden) throws IOException {
        Random random = new Random(1);
        float[] feats = new float[TOKENS * VISION];
        for (int i = 0; i < feats.length; i++) {
            feats[i] = (float) random.nextGaussian();
        }
        FeatureSource features = new FeatureSource() {
            public float[] features(String id) {
                return feats;
            }

            public int tokens() {
                return TOKENS;
            }

            public int dim() {
                return VISION;
            }
        };
        // " a" is one token: 31 of them plus the closing <|im_end|> make 32 caption tokens
        String caption = "a" + " a".repeat(30);
        List<TrainingExample> train = new ArrayList<>();
        for (int i = 0; i < batchSize * steps; i++) {
            train.add(new TrainingExample("img-" + i, List.of(caption)));
        }
        List<TrainingExample> val = List.of(new TrainingExample("val", List.of(caption)));
        AdapterSpec spec = AdapterSpec.builder("mlp", AdapterSpec.Vision.image("bench", "none", -2, false, TOKENS, VISION),
                new AdapterSpec.Llm("bench", "none", hidden)).id("bench").build();
        Path out = Files.createTempDirectory("bench-train");
        long[] last = {System.nanoTime()};
        List<Double> seconds = new ArrayList<>();
        try (Adapter adapter = Adapter.create(spec, manager, 1)) {
            new AdapterTrainer(llm, tokenizer, manager).train(adapter, features, train, val,
                    TrainSettings.builder().epochs(1).batchSize(batchSize).learningRate(1e-4).weightDecay(0).warmupSteps(0)
                            .maxCaptionTokens(64).maxSteps(steps).build(), out, false, new TrainingListener() {
                        @Override
                        public void onStep(int step, int total, double loss, double lr, double tokensPerSecond) {
                            double s = (System.nanoTime() - last[0]) / 1e9;
                            seconds.add(s);
                            try {
                                out().printf(Locale.ROOT, "  step %3d: %7.2f s (%.0f tokens/s), loss %.4f, RSS %.2f GB%n",
                                        step, s, tokensPerSecond, loss, Floors.rssBytes("VmRSS:") / 1e9);
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                            last[0] = System.nanoTime();
                        }
                    });
        }
        if (seconds.size() > 1) {
            double mean = seconds.subList(1, seconds.size()).stream().mapToDouble(Double::doubleValue).average().orElse(0);
            out().printf(Locale.ROOT, "  mean step after warm-up: %.2f s; peak RSS %.2f GB%n", mean,
                    Floors.rssBytes("VmHWM:") / 1e9);
        }
    }

    private void adapterThroughput(NDManager manager, int hidden) {
        out().printf(Locale.ROOT, "adapter inference, %d x %d features -> hidden %d, batch %d:%n", TOKENS, VISION, hidden,
                adapterBatch);
        for (String strategy : Adapter.STRATEGIES) {
            AdapterSpec spec = AdapterSpec.builder(strategy, AdapterSpec.Vision.image("bench", "none", -2, false, TOKENS, VISION),
                    new AdapterSpec.Llm("bench", "none", hidden)).id("bench").build();
            try (Adapter a = Adapter.create(spec, manager, 1)) {
                int rounds = 0;
                long start = 0;
                for (int i = 0; i < 12; i++) {
                    if (i == 2) {
                        start = System.nanoTime();
                    }
                    try (NDManager s = a.newScope()) {
                        NDArray x = s.randomNormal(new Shape(adapterBatch, TOKENS, VISION));
                        a.forward(x).toFloatArray();
                    }
                    if (i >= 2) {
                        rounds++;
                    }
                }
                double secs = (System.nanoTime() - start) / 1e9;
                out().printf(Locale.ROOT, "  %-9s %,11d params, %2d prefix tokens: %8.0f images/s%n", strategy,
                        a.parameterCount(), a.prefixTokens(), rounds * adapterBatch / secs);
            }
        }
    }
}
