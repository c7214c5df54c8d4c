package dev.caption.nn.train;

import java.util.LinkedHashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * torch.optim.AdamW (β1 0.9, β2 0.999, ε 1e-8, decoupled weight decay) on plain NDArrays, with global-norm
 * gradient clipping. Written here because DJL's optimizers update {@code Parameter}s through a Trainer, and the
 * adapters are plain arrays named as checkpoint keys.
 *
 * <p>Persistent arrays (parameters, moments) are only changed in place; every temporary starts in the update's own
 * scope, since DJL creates an op's result in its first operand's manager.
 */
final class AdamW {

    // doubles, as torch's hyperparameters are Python floats: 1 - β2 is then 0.001f, not 1 - 0.999f = 0.0010000467f
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final float EPS = 1e-8f;

    final Map<String, NDArray> m = new LinkedHashMap<>();
    final Map<String, NDArray> v = new LinkedHashMap<>();
    int step;

    /** What an update saw: the pre-clip gradient norm and, when it is not finite, the parameters at fault. */
    record Update(double norm, java.util.List<String> nonFinite) {
        boolean applied() {
            return Double.isFinite(norm);
        }
    }

    AdamW(Map<String, NDArray> params, NDManager manager) {
        params.forEach((name, p) -> {
            m.put(name, manager.zeros(p.getShape()));
            v.put(name, manager.zeros(p.getShape()));
        });
    }

    /**
     * Clips, updates every parameter from its gradient, zeroes the gradients. A norm that is not finite changes no
     * parameter and counts no step; the update then names the parameters whose gradient holds NaN or an infinity.
     */
    Update update(Map<String, NDArray> params, double lr, double weightDecay, double clipNorm, NDManager parent) {
        try (NDManager scope = parent.newSubManager()) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(scope);                                   // the handle, not the .grad storage
                NDArray copy = scope.zeros(g.getShape()).addi(g);
                zero(g);                                           // GradientCollector does not zero gradients
                grads.put(e.getKey(), copy);
            }
            double norm = globalNorm(grads.values());
            if (!Double.isFinite(norm)) {
                return new Update(norm, grads.entrySet().stream()
                        .filter(e -> !Float.isFinite(e.getValue().abs().max().getFloat())).map(Map.Entry::getKey).toList());
            }
            float scale = clipNorm > 0 && norm > clipNorm ? (float) (clipNorm / (norm + 1e-6)) : 1f;
            step++;
            // torch computes these in Python floats (double) and passes them as scalars
            double bc1 = 1 - Math.pow(BETA1, step);
            double bc2 = 1 - Math.pow(BETA2, step);
            float stepSize = (float) (lr / bc1);
            float bc2Sqrt = (float) Math.sqrt(bc2);
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray p = e.getValue();
                NDArray g = grads.get(e.getKey()).muli(scale);
                NDArray mi = m.get(e.getKey());
                NDArray vi = v.get(e.getKey());
                // p.mul_(1 - lr * wd); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2
                p.muli((float) (1 - lr * weightDecay));
                mi.muli((float) BETA1).addi(g.mul((float) (1 - BETA1)));
                vi.muli((float) BETA2).addi(g.square().muli((float) (1 - BETA2)));
                // denom = (v.sqrt() / sqrt(bc2)).add_(eps); p.addcdiv_(m, denom, value=-lr / bc1), as torch 1.13+
                NDArray denom = scope.zeros(vi.getShape()).addi(vi).sqrt().divi(bc2Sqrt).addi(EPS);
                NDArray update = scope.zeros(mi.getShape()).addi(mi).divi(denom).muli(stepSize);
                p.subi(update);
            }
            return new Update(norm, java.util.List.of());
        }
    }

    /**
     * sqrt(Σ g²) over every gradient, in double, scaled by the largest |g| so that gradients beyond 1.8e19 (whose
     * float squares overflow) still give their true norm and are clipped rather than zeroed. NaN or infinite when a
     * gradient holds a NaN or an infinity.
     */
    static double globalNorm(Iterable<NDArray> grads) {
        double max = 0;
        for (NDArray g : grads) {
            float m = g.abs().max().getFloat();
            if (!Float.isFinite(m)) {
                return m;
            }
            max = Math.max(max, m);
        }
        if (max == 0) {
            return 0;
        }
        double sq = 0;
        for (NDArray g : grads) {
            sq += g.div((float) max).square().sum().getFloat();                  // Σ (g / max)², each term ≤ 1
        }
        return max * Math.sqrt(sq);
    }

    /**
     * Sets a gradient to zeros in place. Not {@code g * 0} nor {@code g - g}: an infinity there gives NaN, which would
     * stay in {@code .grad} and poison every later step.
     */
    static void zero(NDArray g) {
        g.set(new ai.djl.ndarray.index.NDIndex("..."), 0f);
    }
}
