package dev.caption.nn.qwen3;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * transformers' causal-LM loss, {@code Qwen3ForCausalLM(inputs_embeds=..., attention_mask=..., labels=...).loss}:
 * cross-entropy of logits[:, :-1] against labels[:, 1:], summed over the targets that are not -100 and divided by
 * their count. Position ids are 0..T-1 on every row (HF's default without a cache), so batches are right-padded.
 *
 * <p>lm_head runs only on the positions that have a target: [N, V] instead of [B, T, V] (151,936 columns), and a
 * chunk of {@link #LOSS_CHUNK} targets at a time, whose logits are freed once log_softmax has read them. The
 * backward then holds one chunk's [n, V] gradients at a time instead of the whole [N, V] (150 MB for a batch of 8
 * with 32 targets each), at the moment the step's memory peaks, when every layer's activations are still held.
 * Differentiable: run it inside a GradientCollector to get d loss / d inputs_embeds.
 */
public final class TeacherForcing {

    public static final long IGNORE = -100;

    /** Targets per lm_head and log_softmax call. */
    static final int LOSS_CHUNK = 128;

    private TeacherForcing() {
    }

    /**
     * @param inputsEmbeds  [B, T, H], in the caller's scope
     * @param attentionMask [B][T]: 1 real, 0 padding
     * @param labels        [B][T]: target ids, {@link #IGNORE} where nothing is predicted
     * @return the mean loss, a scalar
     */
    public static NDArray loss(Qwen3ForCausalLM model, NDArray inputsEmbeds, int[][] attentionMask, long[][] labels) {
        return loss(model, inputsEmbeds, attentionMask, labels, LOSS_CHUNK);
    }

    /** {@link #loss} with lm_head and log_softmax on {@code chunk} targets at a time. */
    static NDArray loss(Qwen3ForCausalLM model, NDArray inputsEmbeds, int[][] attentionMask, long[][] labels,
            int chunk) {
        NDManager scope = inputsEmbeds.getManager();
        Shape shape = inputsEmbeds.getShape();
        int b = (int) shape.get(0);
        int t = (int) shape.get(1);
        long[][] positions = new long[b][t];
        for (long[] row : positions) {
            for (int i = 0; i < t; i++) {
                row[i] = i;
            }
        }
        NDArray hidden = model.forward(inputsEmbeds, positions, attentionMask, null, false).lastHiddenState();  // [B, T, H]
        // shift: the hidden state at position i predicts labels[i + 1]
        List<Long> rows = new ArrayList<>();
        List<Long> targets = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            for (int i = 0; i + 1 < t; i++) {
                if (labels[r][i + 1] != IGNORE) {
                    rows.add((long) r * t + i);
                    targets.add(labels[r][i + 1]);
                }
            }
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no targets: every label is -100");
        }
        NDArray index = scope.create(rows.stream().mapToLong(Long::longValue).toArray());
        NDArray picked = hidden.reshape(-1, shape.get(2)).get(new NDIndex("{}", index));       // [N, H]
        NDArray target = scope.create(targets.stream().mapToLong(Long::longValue).toArray(), new Shape(targets.size(), 1));
        int n = targets.size();
        // -log_softmax(logits)[n, target[n]], summed a chunk of targets at a time, then averaged
        NDArray sum = null;
        for (int from = 0; from < n; from += chunk) {
            NDIndex part = new NDIndex("{}:{}", from, Math.min(n, from + chunk));
            NDArray logits = model.logits(picked.get(part));                                   // [n, V]
            NDArray logProbs = logits.logSoftmax(-1);                                          // [n, V]
            logits.close();          // log_softmax's backward reads only its output
            NDArray partSum = logProbs.gather(target.get(part), 1).sum();
            sum = sum == null ? partSum : sum.add(partSum);
        }
        return sum.div(n).neg();
    }
}
