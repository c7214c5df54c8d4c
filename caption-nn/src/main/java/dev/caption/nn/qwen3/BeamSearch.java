package dev.caption.nn.qwen3;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * transformers' beam search (generate(num_beams=K), v4.51): K beams per input, log-softmax scores summed, the
 * top 2K-3K candidates per step, a candidate ending in EOS finishes a hypothesis (if ranked within the first K),
 * and a hypothesis scores {@code sum_logprobs / generated_len ** length_penalty}. With early_stopping=False a
 * batch item is done once K hypotheses are finished and none of the running beams can still beat the worst.
 */
public final class BeamSearch {

    /** One returned sequence: new tokens (ending with EOS if it ended) and HF's sequences_scores. */
    public record Hypothesis(long[] tokens, double score) {
    }

    /** Per input, its best hypotheses; and how long the batch's prefill took. */
    public record Output(List<List<Hypothesis>> hypotheses, long prefillNanos) {
    }

    private final Qwen3ForCausalLM model;
    private final NDManager manager;

    public BeamSearch(Qwen3ForCausalLM model, NDManager manager) {
        this.model = model;
        this.manager = manager;
    }

    /** For each input [T_i, H], the {@code numReturn} best hypotheses, best first. */
    public Output generate(List<NDArray> inputsEmbeds, int numBeams, int numReturn, int maxNewTokens,
                                           double lengthPenalty, Set<Long> eosIds, long padId) {
        if (numReturn > numBeams) {
            throw new IllegalArgumentException("num_return_sequences " + numReturn + " > num_beams " + numBeams);
        }
        int b = inputsEmbeds.size();
        int k = numBeams;
        LeftPaddedBatch batch = new LeftPaddedBatch(inputsEmbeds, k);
        int rows = batch.rows();
        double[] beamScores = new double[rows];
        for (int r = 0; r < rows; r++) {
            beamScores[r] = r % k == 0 ? 0 : -1e9;     // the first step expands each item's beam 0 only
        }
        long[][] tokens = new long[rows][0];
        List<List<Hypothesis>> finished = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            finished.add(new ArrayList<>());
        }
        boolean[] done = new boolean[b];
        int vocab = model.config().vocabSize();
        int candidates = Math.max(2, 1 + eosIds.size()) * k;
        long prefillNanos;
        try (KvCache cache = new KvCache(manager, model.config().numHiddenLayers(), batch.promptLength() + maxNewTokens)) {
            float[] logprobs;
            long prefillStart = System.nanoTime();
            try (NDManager step = manager.newSubManager()) {
                Qwen3ForCausalLM.Output out = model.forward(batch.prefillEmbeddings(step, model, padId),
                        batch.prefillPositions(), batch.mask(), cache, false);
                logprobs = model.lastLogits(out.lastHiddenState()).logSoftmax(-1).toFloatArray();
            }
            prefillNanos = System.nanoTime() - prefillStart;
            for (int len = 1; ; len++) {
                long[] nextTokens = new long[rows];
                long[] sourceRows = new long[rows];
                double[] nextScores = new double[rows];
                for (int i = 0; i < b; i++) {
                    if (done[i]) {
                        for (int beam = 0; beam < k; beam++) {
                            int r = i * k + beam;
                            nextTokens[r] = padId;
                            sourceRows[r] = r;
                            nextScores[r] = beamScores[r];
                        }
                        continue;
                    }
                    int[] top = topCandidates(logprobs, beamScores, i * k, k, vocab, candidates);
                    int filled = 0;
                    for (int rank = 0; rank < top.length && filled < k; rank++) {
                        int beam = top[rank] / vocab;
                        long token = top[rank] % vocab;
                        int src = i * k + beam;
                        double score = beamScores[src] + logprobs[src * vocab + (int) token];
                        if (eosIds.contains(token)) {
                            if (rank < k) {
                                long[] hyp = Arrays.copyOf(tokens[src], len);
                                hyp[len - 1] = token;
                                addHypothesis(finished.get(i), k, new Hypothesis(hyp, score / Math.pow(len, lengthPenalty)));
                            }
                            continue;
                        }
                        int r = i * k + filled++;
                        nextTokens[r] = token;
                        sourceRows[r] = src;
                        nextScores[r] = score;
                    }
                    double best = Arrays.stream(nextScores, i * k, i * k + k).max().orElse(Double.NEGATIVE_INFINITY);
                    done[i] = isDone(finished.get(i), k, best, len, lengthPenalty);
                }
                long[][] newTokens = new long[rows][];
                for (int r = 0; r < rows; r++) {
                    newTokens[r] = Arrays.copyOf(tokens[(int) sourceRows[r]], len);
                    newTokens[r][len - 1] = nextTokens[r];
                }
                tokens = newTokens;
                beamScores = nextScores;
                boolean allDone = true;
                for (boolean d : done) {
                    allDone &= d;
                }
                if (allDone || len >= maxNewTokens) {
                    break;
                }
                cache.select(sourceRows);
                long[][] pos = batch.advance(sourceRows);
                try (NDManager step = manager.newSubManager()) {
                    NDArray embeds = model.embed(step, nextTokens).expandDims(1);
                    Qwen3ForCausalLM.Output out = model.forward(embeds, pos, batch.mask(), cache, false);
                    logprobs = model.lastLogits(out.lastHiddenState()).logSoftmax(-1).toFloatArray();
                }
            }
        }
        List<List<Hypothesis>> result = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            List<Hypothesis> hyps = finished.get(i);
            if (!done[i]) {
                // max length reached: every running beam becomes a hypothesis
                for (int beam = 0; beam < k; beam++) {
                    int r = i * k + beam;
                    addHypothesis(hyps, k, new Hypothesis(tokens[r],
                            beamScores[r] / Math.pow(tokens[r].length, lengthPenalty)));
                }
            }
            List<Hypothesis> sorted = new ArrayList<>(hyps);
            sorted.sort(Comparator.comparingDouble(Hypothesis::score).reversed());
            result.add(sorted.subList(0, Math.min(numReturn, sorted.size())));
        }
        return new Output(result, prefillNanos);
    }

    /** Indices (beam * V + token) of the best {@code count} scores over the item's K beams, best first. */
    private static int[] topCandidates(float[] logprobs, double[] beamScores, int firstRow, int k, int vocab, int count) {
        // a bounded min-heap over k * V candidates
        java.util.PriorityQueue<double[]> heap = new java.util.PriorityQueue<>(Comparator.comparingDouble(a -> a[0]));
        for (int beam = 0; beam < k; beam++) {
            int row = firstRow + beam;
            double base = beamScores[row];
            int offset = row * vocab;
            for (int t = 0; t < vocab; t++) {
                double score = base + logprobs[offset + t];
                if (heap.size() < count) {
                    heap.add(new double[] {score, beam * (double) vocab + t});
                } else if (score > heap.peek()[0]) {
                    heap.poll();
                    heap.add(new double[] {score, beam * (double) vocab + t});
                }
            }
        }
        int[] out = new int[heap.size()];
        for (int i = out.length - 1; i >= 0; i--) {
            out[i] = (int) heap.poll()[1];
        }
        return out;
    }

    private static void addHypothesis(List<Hypothesis> hyps, int k, Hypothesis h) {
        if (hyps.size() < k) {
            hyps.add(h);
            return;
        }
        Hypothesis worst = hyps.stream().min(Comparator.comparingDouble(Hypothesis::score)).orElseThrow();
        if (h.score() > worst.score()) {
            hyps.remove(worst);
            hyps.add(h);
        }
    }

    private static boolean isDone(List<Hypothesis> hyps, int k, double bestRunning, int len, double lengthPenalty) {
        if (hyps.size() < k) {
            return false;
        }
        double worst = hyps.stream().mapToDouble(Hypothesis::score).min().orElse(Double.NEGATIVE_INFINITY);
        return worst >= bestRunning / Math.pow(len, lengthPenalty);
    }
}
