package dev.caption.nn.qwen3;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Sampling settings, applied in transformers' order: temperature, top-k, top-p (nucleus), then a draw.
 *
 * @param temperature divides the logits (> 0)
 * @param topK        keep the k most likely tokens (0: all)
 * @param topP        keep the smallest set whose probability reaches p (1: all)
 * @param seed        the draw's seed
 */
public record Sampling(double temperature, int topK, double topP, long seed) {

    public Sampling {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
    }

    /** One token from logits[offset, offset + vocab). */
    long draw(float[] logits, int offset, int vocab, SplittableRandom random) {
        Integer[] order = new Integer[vocab];
        double[] scaled = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
            scaled[i] = logits[offset + i] / temperature;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scaled[b], scaled[a]));
        int keep = topK > 0 ? Math.min(topK, vocab) : vocab;
        double max = scaled[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp(scaled[order[i]] - max);
            sum += p[i];
        }
        // top-p: keep tokens while the cumulative probability before them is below p (at least one)
        double cumulative = 0;
        int nucleus = 0;
        while (nucleus < keep && (nucleus == 0 || cumulative < topP)) {
            cumulative += p[nucleus] / sum;
            nucleus++;
        }
        double total = 0;
        for (int i = 0; i < nucleus; i++) {
            total += p[i];
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < nucleus; i++) {
            u -= p[i];
            if (u <= 0) {
                return order[i];
            }
        }
        return order[nucleus - 1];
    }
}
