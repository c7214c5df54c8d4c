package dev.caption.nn.qwen3;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.Devices;
import dev.caption.nn.hub.CheckpointResolver;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.hub.ModelRef;

/**
 * Qwen3 + tokenizer + generation config: prompts with optional prefix embeddings in, texts out. What the
 * llm-service and {@code caption generate} run. One caller at a time.
 */
public final class Qwen3Captioner implements AutoCloseable {

    /** DESIGN.md's caption prompt; the adapter's prefix goes where the image is. */
    public static final String IMAGE_PROMPT_BEFORE = "<|im_start|>user\n";
    public static final String IMAGE_PROMPT_AFTER =
            "\nDescribe the image in one sentence.<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";

    /**
     * One generation request: text before the prefix, the prefix ([n, hidden] row-major, may be null), text after.
     */
    public record Item(String before, float[] prefix, int prefixTokens, String after) {
        public static Item text(String prompt) {
            return new Item("", null, 0, prompt);
        }

        /** DESIGN.md's image-caption prompt with the prefix spliced in. */
        public static Item image(float[] prefix, int prefixTokens) {
            return new Item(IMAGE_PROMPT_BEFORE, prefix, prefixTokens, IMAGE_PROMPT_AFTER);
        }
    }

    /** A generated text; {@code score} is the beam score (NaN for greedy and sampling). */
    public record Result(long[] tokenIds, String text, double score) {
    }

    private final NDManager manager;
    private final Qwen3ForCausalLM model;
    private final Qwen3Tokenizer tokenizer;
    private final GenerationConfig generation;
    private final String modelId;
    private final String revision;
    private volatile long lastPrefillNanos;

    private Qwen3Captioner(NDManager manager, Qwen3ForCausalLM model, Qwen3Tokenizer tokenizer,
                           GenerationConfig generation, String modelId, String revision) {
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
        this.generation = generation;
        this.modelId = modelId;
        this.revision = revision;
    }

    public static Qwen3Captioner load(String model, String revision, String device, HubEnvironment env,
                                      DownloadListener progress) {
        return load(model, revision, device, "auto", env, progress);
    }

    /**
     * @param precision "auto" (fp32 on the CPU, fp16 on a GPU: CPU fp16 matmuls are ~150x slower), "fp32" or
     *                  "fp16"; norms and softmax run in fp32 either way
     */
    public static Qwen3Captioner load(String model, String revision, String device, String precision,
                                      HubEnvironment env, DownloadListener progress) {
        ai.djl.Device dev = Devices.parse(device);
        ai.djl.ndarray.types.DataType compute = switch (precision.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> dev.isGpu() ? ai.djl.ndarray.types.DataType.FLOAT16 : ai.djl.ndarray.types.DataType.FLOAT32;
            case "fp32", "float32" -> ai.djl.ndarray.types.DataType.FLOAT32;
            case "fp16", "float16" -> ai.djl.ndarray.types.DataType.FLOAT16;
            default -> throw new IllegalArgumentException("precision must be auto, fp32 or fp16, got '" + precision
                    + "' (bf16 is not possible with DJL's PyTorch engine)");
        };
        ModelRef ref = ModelRef.parse(model, revision);
        CheckpointResolver.Resolved resolved = new CheckpointResolver(env, progress)
                .resolve(ref, List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json"));
        if (!java.nio.file.Files.isRegularFile(resolved.file("tokenizer.json"))) {
            throw new IllegalArgumentException("model " + model + " has no tokenizer.json");
        }
        NDManager manager = NDManager.newBaseManager(dev);
        try {
            Qwen3ForCausalLM lm = Qwen3ForCausalLM.load(resolved.dir(), resolved.weightFiles(), manager, compute);
            return new Qwen3Captioner(manager, lm, Qwen3Tokenizer.load(resolved.file("tokenizer.json")),
                    GenerationConfig.read(resolved.dir()), ref.isLocal() ? ref.localDir().toString() : ref.repoId(),
                    resolved.commit());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public String modelId() {
        return modelId;
    }

    public String revision() {
        return revision;
    }

    /** Prefill time of the last greedy or sampling call: the batch's time to first token. */
    public long lastPrefillNanos() {
        return lastPrefillNanos;
    }

    public int hiddenSize() {
        return model.config().hiddenSize();
    }

    /** The model itself, for training through it (frozen: nothing here updates it). */
    public Qwen3ForCausalLM model() {
        return model;
    }

    public Qwen3Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Generates for every item in one batch. Beam search returns {@code numReturn} results per item. */
    public List<List<Result>> generate(List<Item> items, Decoding decoding) {
        try (NDManager scope = manager.newSubManager()) {
            List<NDArray> inputs = new ArrayList<>();
            for (Item item : items) {
                inputs.add(embed(scope, item));
            }
            List<List<Result>> out = new ArrayList<>();
            Qwen3Generator generator = new Qwen3Generator(model, scope);
            if (decoding instanceof Decoding.Greedy g) {
                generator.greedy(inputs, g.maxNewTokens(), generation.eosTokenIds(), generation.padTokenId())
                        .forEach(ids -> out.add(List.of(result(ids, Double.NaN))));
                lastPrefillNanos = generator.lastPrefillNanos();
            } else if (decoding instanceof Decoding.Sample s) {
                generator.sample(inputs, s.maxNewTokens(), generation.eosTokenIds(), generation.padTokenId(), s.sampling())
                        .forEach(ids -> out.add(List.of(result(ids, Double.NaN))));
                lastPrefillNanos = generator.lastPrefillNanos();
            } else if (decoding instanceof Decoding.Beam bm) {
                new BeamSearch(model, scope)
                        .generate(inputs, bm.numBeams(), bm.numReturn(), bm.maxNewTokens(), bm.lengthPenalty(),
                                generation.eosTokenIds(), generation.padTokenId())
                        .forEach(hyps -> out.add(hyps.stream().map(h -> result(h.tokens(), h.score())).toList()));
            }
            return out;
        }
    }

    private Result result(long[] ids, double score) {
        return new Result(ids, tokenizer.decode(ids).strip(), score);
    }

    private NDArray embed(NDManager scope, Item item) {
        int hidden = hiddenSize();
        List<NDArray> parts = new ArrayList<>();
        if (!item.before().isEmpty()) {
            parts.add(model.embed(scope, tokenizer.encode(item.before())));
        }
        if (item.prefix() != null) {
            if (item.prefix().length != item.prefixTokens() * hidden) {
                throw new IllegalArgumentException("a prefix of " + item.prefixTokens() + " tokens needs "
                        + item.prefixTokens() * hidden + " values for hidden size " + hidden + ", got " + item.prefix().length);
            }
            parts.add(scope.create(item.prefix(), new Shape(item.prefixTokens(), hidden)));
        }
        if (!item.after().isEmpty()) {
            parts.add(model.embed(scope, tokenizer.encode(item.after())));
        }
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("an empty prompt: give a prompt, a prefix, or both");
        }
        NDArray all = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            all = all.concat(parts.get(i), 0);
        }
        return all;
    }

    @Override
    public void close() {
        tokenizer.close();
        model.close();
        manager.close();
    }
}
