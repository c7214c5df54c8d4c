package dev.caption.nn.qwen3;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.hub.CheckpointResolver;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;

/**
 * Qwen3 + tokenizer + generation config: prompts with optional prefix embeddings in, texts out. What the
 * llm-service and {@code caption generate} run. One caller at a time.
 */
public final class Qwen3Captioner implements AutoCloseable {

    /**
     * One generation request: text before the prefix, the prefix ([n, hidden] row-major, may be null), text after.
     */
    public record Item(String before, float[] prefix, int prefixTokens, String after) {
        public static Item text(String prompt) {
            return new Item("", null, 0, prompt);
        }

        /** {@code prompt} with the prefix ([prefixTokens, hidden] row-major) in its slot. */
        public static Item of(Prompt prompt, float[] prefix, int prefixTokens) {
            return new Item(prompt.before(), prefix, prefixTokens, prompt.after());
        }
    }

    /** A generated text; {@code score} is the beam score (NaN for greedy and sampling). */
    public record Result(long[] tokenIds, String text, double score) {
    }

    /**
     * One batch's results, per item (beam search gives {@code numReturn} per item, the others one), and the time
     * the batch's prefill took: its time to first token.
     */
    public record Generation(List<List<Result>> results, long prefillNanos) {

        /** The first result of every item. */
        public List<Result> first() {
            return results.stream().map(r -> r.get(0)).toList();
        }
    }

    private final NDManager manager;
    private final Qwen3ForCausalLM model;
    private final Qwen3Tokenizer tokenizer;
    private final GenerationConfig generation;
    private final String modelId;
    private final String revision;

    private Qwen3Captioner(NDManager manager, Qwen3ForCausalLM model, Qwen3Tokenizer tokenizer,
                           GenerationConfig generation, String modelId, String revision) {
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
        this.generation = generation;
        this.modelId = modelId;
        this.revision = revision;
    }

    /** Resolves (downloading if needed) and loads the checkpoint {@code spec} names; see {@link Qwen3Spec#open}. */
    static Qwen3Captioner load(Qwen3Spec spec, HubEnvironment env, DownloadListener progress) {
        CheckpointResolver.Resolved resolved = new CheckpointResolver(env, progress)
                .resolve(spec.model(), List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json"));
        if (!java.nio.file.Files.isRegularFile(resolved.file("tokenizer.json"))) {
            throw new IllegalArgumentException("model " + spec.model() + " has no tokenizer.json");
        }
        NDManager manager = NDManager.newBaseManager(spec.device());
        try {
            Qwen3ForCausalLM lm = Qwen3ForCausalLM.load(resolved.dir(), resolved.weightFiles(), manager,
                    spec.precision().compute(spec.device()), spec.use());
            return new Qwen3Captioner(manager, lm, Qwen3Tokenizer.load(resolved.file("tokenizer.json")),
                    GenerationConfig.read(resolved.dir()), spec.model().displayId(), resolved.commit());
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

    /** Which engine computes (see {@link Qwen3ForCausalLM#engine()}). */
    public String engine() {
        return model.engine();
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

    /** Generates for every item in one batch. */
    public Generation generate(List<Item> items, Decoding decoding) {
        try (NDManager scope = manager.newSubManager()) {
            List<NDArray> inputs = new ArrayList<>();
            for (Item item : items) {
                inputs.add(embed(scope, item));
            }
            Set<Long> eos = generation.eosTokenIds();
            long pad = generation.padTokenId();
            if (decoding instanceof Decoding.Greedy g) {
                return sequences(new Qwen3Generator(model, scope).greedy(inputs, g.maxNewTokens(), eos, pad));
            }
            if (decoding instanceof Decoding.Sample smp) {
                return sequences(new Qwen3Generator(model, scope).sample(inputs, smp.maxNewTokens(), eos, pad, smp.sampling()));
            }
            if (decoding instanceof Decoding.Beam bm) {
                BeamSearch.Output out = new BeamSearch(model, scope).generate(inputs, bm.numBeams(), bm.numReturn(),
                        bm.maxNewTokens(), bm.lengthPenalty(), eos, pad);
                return new Generation(out.hypotheses().stream()
                        .map(hyps -> hyps.stream().map(h -> result(h.tokens(), h.score())).toList()).toList(),
                        out.prefillNanos());
            }
            throw new IllegalArgumentException("unknown decoding " + decoding);
        }
    }

    private Generation sequences(Qwen3Generator.Output out) {
        return new Generation(out.tokens().stream().map(ids -> List.of(result(ids, Double.NaN))).toList(),
                out.prefillNanos());
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
