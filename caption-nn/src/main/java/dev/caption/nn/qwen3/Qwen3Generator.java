package dev.caption.nn.qwen3;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Batched generation from input embeddings (an adapter's prefix spliced into a prompt), sequences of different
 * lengths left-padded as transformers does ({@link LeftPaddedBatch}). Every sequence stops at its own EOS; a batch
 * gives the same tokens as each sequence alone.
 */
public final class Qwen3Generator {

    /** Per input, its new token ids; and how long the batch's prefill took (its time to first token). */
    public record Output(List<long[]> tokens, long prefillNanos) {
    }

    private final Qwen3ForCausalLM model;
    private final NDManager manager;

    public Qwen3Generator(Qwen3ForCausalLM model, NDManager manager) {
        this.model = model;
        this.manager = manager;
    }

    /**
     * Greedy decoding. Each input is [T_i, H]; returns, per input, the new token ids up to and including its EOS
     * (or {@code maxNewTokens} of them).
     */
    public Output greedy(List<NDArray> inputsEmbeds, int maxNewTokens, Set<Long> eosIds, long padId) {
        return decode(inputsEmbeds, maxNewTokens, eosIds, padId, logits -> logits.argMax(-1).toLongArray());
    }

    /**
     * Sampling: logits / temperature, then top-k, then top-p (transformers' warper order), then a draw from the
     * softmax. Seeded: the same seed and inputs give the same tokens (not torch's random stream).
     */
    public Output sample(List<NDArray> inputsEmbeds, int maxNewTokens, Set<Long> eosIds, long padId,
                               Sampling sampling) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(sampling.seed());
        return decode(inputsEmbeds, maxNewTokens, eosIds, padId, logits -> {
            float[] all = logits.toFloatArray();
            int rows = (int) logits.getShape().get(0);
            int vocab = (int) logits.getShape().get(1);
            long[] next = new long[rows];
            for (int r = 0; r < rows; r++) {
                next[r] = sampling.draw(all, r * vocab, vocab, random);
            }
            return next;
        });
    }

    /** Chooses each row's next token from its last-position logits [B, V]. */
    @FunctionalInterface
    interface Chooser {
        long[] choose(NDArray logits);
    }

    private Output decode(List<NDArray> inputsEmbeds, int maxNewTokens, Set<Long> eosIds, long padId,
                                Chooser chooser) {
        int b = inputsEmbeds.size();
        LeftPaddedBatch batch = new LeftPaddedBatch(inputsEmbeds, 1);
        List<List<Long>> generated = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            generated.add(new ArrayList<>());
        }
        boolean[] finished = new boolean[b];
        long prefillNanos;
        try (KvCache cache = new KvCache(manager, model.config().numHiddenLayers(), batch.promptLength() + maxNewTokens)) {
            long[] next;
            long prefillStart = System.nanoTime();
            try (NDManager step = manager.newSubManager()) {
                Qwen3ForCausalLM.Output out = model.forward(batch.prefillEmbeddings(step, model, padId),
                        batch.prefillPositions(), batch.mask(), cache, false);
                next = chooser.choose(model.lastLogits(out.lastHiddenState()));
            }
            prefillNanos = System.nanoTime() - prefillStart;
            for (int stepIndex = 0; ; stepIndex++) {
                boolean all = true;
                for (int r = 0; r < b; r++) {
                    if (finished[r]) {
                        next[r] = padId;                     // finished rows are fed padding, as HF does
                        continue;
                    }
                    generated.get(r).add(next[r]);
                    if (eosIds.contains(next[r])) {
                        finished[r] = true;
                    } else {
                        all = false;
                    }
                }
                if (all || stepIndex + 1 >= maxNewTokens) {
                    break;
                }
                long[][] pos = batch.advance(null);
                try (NDManager step = manager.newSubManager()) {
                    NDArray embeds = model.embed(step, next).expandDims(1);                          // [B, 1, H]
                    Qwen3ForCausalLM.Output out = model.forward(embeds, pos, batch.mask(), cache, false);
                    next = chooser.choose(model.lastLogits(out.lastHiddenState()));
                }
            }
        }
        List<long[]> result = new ArrayList<>();
        for (List<Long> g : generated) {
            result.add(g.stream().mapToLong(Long::longValue).toArray());
        }
        return new Output(result, prefillNanos);
    }
}
