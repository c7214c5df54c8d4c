package dev.caption.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.Devices;
import dev.caption.nn.qwen3.KvCache;
import dev.caption.nn.qwen3.Qwen3Config;
import dev.caption.nn.qwen3.Qwen3ForCausalLM;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.caption.cli.CaptionCommand;

/** Qwen3-0.6B-sized prefill and decode speed with random weights, against the memory-bandwidth floor. */
@Command(name = "llm", mixinStandardHelpOptions = true,
        description = "Prefill ms and decode tokens/s of a random-weight Qwen3-0.6B (bf16 weights, as its hub "
                + "checkpoints; fp32 compute), per batch size.")
public final class BenchLlmCommand extends CaptionCommand {

    @Option(names = "--batch", split = ",", defaultValue = "1,8,32", description = "Decode batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--prompt-tokens", defaultValue = "64", description = "Prompt length (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--steps", defaultValue = "16", description = "Decode steps timed (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    /** The engines to compare. */
    enum Engine {
        /** The model as loaded for generation: the CPU kernels when this JVM can run them. */
        kernels(Qwen3ForCausalLM.Use.GENERATION),
        /** The model as loaded for training: libtorch computes everything. */
        libtorch(Qwen3ForCausalLM.Use.TRAINING);

        final Qwen3ForCausalLM.Use use;

        Engine(Qwen3ForCausalLM.Use use) {
            this.use = use;
        }
    }

    @Option(names = "--engine", defaultValue = "kernels",
            description = "kernels (the model as loaded for generation) or libtorch (as for training) (default: ${DEFAULT-VALUE}).")
    Engine engine;

    /**
     * Decoding steps run before the timed ones, so that the JIT has compiled the step's code: at batch 1 the
     * element-wise ops run only a few dozen times a step, and until C2 compiles them (some 10 steps) their vector
     * code runs unintrinsified, boxing every vector.
     */
    private static final int WARM_UP = 16;

    @Override
    public Integer call() throws IOException {
        Qwen3Config config = Qwen3Config.qwen3_0_6b();
        try (NDManager manager = NDManager.newBaseManager(Devices.parse(device))) {
            long t0 = System.nanoTime();
            Qwen3ForCausalLM model = Qwen3ForCausalLM.random(config, manager, 11, engine.use);
            long params = Qwen3ForCausalLM.parameterCount(config, manager);
            out().printf(Locale.ROOT, "bench llm: Qwen3-0.6B shape, random bf16 weights (%d parameters, %.2f GB as "
                    + "loaded), %s, %s, built in %.1f s; RSS %.2f GB%n", params, model.weightBytes() / 1e9, device,
                    model.engine(), (System.nanoTime() - t0) / 1e9, Floors.rssBytes("VmRSS:") / 1e9);
            try (Floors floors = new Floors(manager)) {
                long embedding = (long) config.vocabSize() * config.hiddenSize();
                // every matmul weight once per token, lm_head on the last position only, attention over T keys
                double prefillFlops = 2.0 * promptTokens * (params - embedding) + 2.0 * embedding
                        + 4.0 * promptTokens * promptTokens * config.numAttentionHeads() * config.headDim()
                        * config.numHiddenLayers();
                double prefill = prefillMillis(model, manager, 1);
                floors.sample();
                out().printf(Locale.ROOT, "  prefill %d tokens, batch 1: %.0f ms (%.1f GFLOP)%n", promptTokens, prefill,
                        prefillFlops / 1e9);
                List<Decode> decodes = new java.util.ArrayList<>();
                for (int b : batches) {
                    Floors.resetPeak();
                    double seconds = decodeSeconds(model, manager, b);
                    decodes.add(new Decode(b, seconds / steps, Floors.rssBytes("VmHWM:")));
                    floors.sample();
                    out().printf(Locale.ROOT, "  decode batch %2d: %7.1f tokens/s, %4.0f ms per step; peak RSS %.2f GB%n",
                            b, b * steps / seconds, seconds / steps * 1e3, decodes.get(decodes.size() - 1).peakRss() / 1e9);
                }
                // every ratio against the best floors of the whole run: a floor read while the machine was slow
                // would flatter the work timed next to it
                out().println("  against the best floors of the run:");
                out().printf(Locale.ROOT, "    prefill: %.2fx its GEMM floor of %.0f ms%n",
                        prefill / 1e3 / (prefillFlops / floors.gemmFlops()), prefillFlops / floors.gemmFlops() * 1e3);
                for (Decode d : decodes) {
                    // a step reads every weight once, in the format it is held in (the tied embedding as lm_head),
                    // and multiplies it by B rows
                    double floor = floors.floorSeconds(model.weightBytes(), 2.0 * d.batch() * params);
                    out().printf(Locale.ROOT, "    decode batch %2d: %.2fx its floor of %.0f ms (weights read, or B rows "
                            + "at the GEMM peak)%n", d.batch(), d.stepSeconds() / floor, floor * 1e3);
                }
                out().println("  " + floors.describe());
            }
            model.close();
        }
        return 0;
    }

    /** One batch size's decoding: seconds per step and the peak RSS while it ran. */
    private record Decode(int batch, double stepSeconds, long peakRss) {
    }

    private double prefillMillis(Qwen3ForCausalLM model, NDManager manager, int b) {
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 3; rep++) {
            try (NDManager scope = manager.newSubManager()) {
                NDArray embeds = model.embed(scope, tokens(b * promptTokens)).reshape(b, promptTokens, -1);
                long start = System.nanoTime();
                model.lastLogits(model.forward(embeds, positions(b, 0, promptTokens), mask(b, promptTokens), null, false)
                        .lastHiddenState()).toFloatArray();
                best = Math.min(best, (System.nanoTime() - start) / 1e6);
            }
        }
        return best;
    }

    private double decodeSeconds(Qwen3ForCausalLM model, NDManager manager, int b) {
        try (KvCache cache = new KvCache(manager, model.config().numHiddenLayers(), promptTokens + WARM_UP + steps)) {
            try (NDManager scope = manager.newSubManager()) {
                NDArray embeds = model.embed(scope, tokens(b * promptTokens)).reshape(b, promptTokens, -1);
                model.lastLogits(model.forward(embeds, positions(b, 0, promptTokens), mask(b, promptTokens), cache, false)
                        .lastHiddenState()).toFloatArray();
            }
            for (int s = 0; s < WARM_UP; s++) {
                try (NDManager scope = manager.newSubManager()) {
                    step(model, cache, scope, b, promptTokens + s);
                }
            }
            long start = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                try (NDManager scope = manager.newSubManager()) {
                    long[] next = step(model, cache, scope, b, promptTokens + WARM_UP + s);
                    if (next.length != b) {
                        throw new IllegalStateException("decode lost rows");
                    }
                }
            }
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /** One greedy decoding step at {@code past} cached positions: the next token of each row. */
    private long[] step(Qwen3ForCausalLM model, KvCache cache, NDManager scope, int b, int past) {
        NDArray embeds = model.embed(scope, tokens(b)).reshape(b, 1, -1);
        return model.lastLogits(model.forward(embeds, positions(b, past, 1), mask(b, past + 1), cache, false)
                .lastHiddenState()).argMax(-1).toLongArray();
    }

    private static long[] tokens(int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 1000 + (i * 7919L) % 100_000;
        }
        return ids;
    }

    private static long[][] positions(int b, int from, int count) {
        long[][] p = new long[b][count];
        for (long[] row : p) {
            for (int i = 0; i < count; i++) {
                row[i] = from + i;
            }
        }
        return p;
    }

    private static int[][] mask(int b, int keys) {
        int[][] m = new int[b][keys];
        for (int[] row : m) {
            Arrays.fill(row, 1);
        }
        return m;
    }

}
