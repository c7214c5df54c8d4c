package dev.caption.nn.adapter;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.modules.LayerNormW;
import dev.caption.nn.modules.LinearW;
import dev.caption.nn.weights.WeightLoader;

/**
 * Where an adapter's parameters come from: a checkpoint (through {@link WeightLoader}, so missing, unexpected and
 * mis-shaped keys fail loudly) or a seeded initialisation as PyTorch's defaults would give (nn.Linear:
 * U(-1/√in, 1/√in); nn.LayerNorm: ones and zeros). Every array is a private, writable copy (the optimizer updates
 * in place, and a checkpoint's arrays are read-only memory maps), registered by its checkpoint name.
 */
final class AdapterParams {

    private final NDManager manager;
    private final WeightLoader loader;
    private final Random random;
    private final Map<String, NDArray> all = new LinkedHashMap<>();

    private AdapterParams(NDManager manager, WeightLoader loader, Random random) {
        this.manager = manager;
        this.loader = loader;
        this.random = random;
    }

    static AdapterParams fromCheckpoint(NDManager manager, WeightLoader loader) {
        return new AdapterParams(manager, loader, null);
    }

    static AdapterParams initialised(NDManager manager, long seed) {
        return new AdapterParams(manager, null, new Random(seed));
    }

    Map<String, NDArray> all() {
        return all;
    }

    /** nn.Linear(in, out[, bias]) at {@code prefix}. */
    LinearW linear(String prefix, int out, int in, boolean bias) {
        float bound = (float) (1 / Math.sqrt(in));
        NDArray w = tensor(prefix + "weight", () -> uniform(bound, out * in), out, in);
        NDArray b = bias ? tensor(prefix + "bias", () -> uniform(bound, out), out) : null;
        return new LinearW(w, b);
    }

    /** nn.Conv1d(in, out, kernel) at {@code prefix}: weight [out, in, kernel] and bias [out]. */
    NDArray[] conv1d(String prefix, int out, int in, int kernel) {
        float bound = (float) (1 / Math.sqrt((double) in * kernel));
        return new NDArray[] {tensor(prefix + "weight", () -> uniform(bound, out * in * kernel), out, in, kernel),
            tensor(prefix + "bias", () -> uniform(bound, out), out)};
    }

    LayerNormW layerNorm(String prefix, int dim, float eps) {
        NDArray w = tensor(prefix + "weight", () -> filled(dim, 1f), dim);
        NDArray b = tensor(prefix + "bias", () -> filled(dim, 0f), dim);
        return new LayerNormW(w, b, eps);
    }

    /** A free tensor (learned queries) initialised N(0, std²). */
    NDArray normal(String name, float std, long... shape) {
        int n = (int) new Shape(shape).size();
        return tensor(name, () -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (random.nextGaussian() * std);
            }
            return v;
        }, shape);
    }

    void finish(String what, List<String> ignoredKeys) {
        if (loader != null) {
            loader.finish(what, ignoredKeys.toArray(String[]::new));
        }
    }

    private NDArray tensor(String name, java.util.function.Supplier<float[]> init, long... shape) {
        NDArray a;
        if (loader != null) {
            NDArray mapped = loader.take(name, shape);
            a = mapped.duplicate();
            mapped.close();
        } else {
            a = manager.create(init.get(), new Shape(shape));
        }
        all.put(name, a);
        return a;
    }

    private float[] uniform(float bound, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (random.nextFloat() * 2 - 1) * bound;
        }
        return v;
    }

    private static float[] filled(int n, float value) {
        float[] v = new float[n];
        Arrays.fill(v, value);
        return v;
    }
}
