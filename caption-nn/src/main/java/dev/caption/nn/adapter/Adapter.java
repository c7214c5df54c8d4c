package dev.caption.nn.adapter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.caption.nn.weights.Checkpoint;
import dev.caption.nn.weights.WeightLoader;
import dev.caption.tensor.DType;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.Tensor;

/**
 * A pooling strategy behind one interface: CLIP features [B, tokens, d_vision] → prefix [B, n, d_llm]. Parameters
 * are named as the checkpoint keys of {@code adapter.safetensors}; {@code adapter.json} ({@link AdapterSpec}) says
 * which strategy and sizes they belong to.
 *
 * <p>Every op here takes the input as its first operand, so results land in the caller's scope, never in the
 * adapter's manager (DJL puts an op's result where its first operand lives).
 */
public abstract class Adapter implements AutoCloseable {

    public static final List<String> STRATEGIES = List.of("mean", "avgpool", "conv", "resampler", "mlp");

    protected final AdapterSpec spec;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;

    protected Adapter(AdapterSpec spec, NDManager manager, AdapterParams params) {
        this.spec = spec;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(params.all());      // a view: subclasses register after super()
    }

    /** [B, tokens, d_vision] → [B, prefixTokens, d_llm]; for audio, tokens is the clips' frame count. */
    public abstract NDArray forward(NDArray features);

    /** n, the prefix length of full-size features ({@code vision.tokens} rows). */
    public abstract int prefixTokens();

    /**
     * The prefix length of features of {@code frames} rows: {@link #prefixTokens()} for a strategy whose output
     * does not depend on the input's length (every image adapter, and mean). A strategy that compresses the
     * sequence overrides it, and refuses a sequence too short to leave a token.
     */
    public int prefixTokens(int frames) {
        return prefixTokens();
    }

    /** Checkpoint keys that loading skips by name: tensors an older layout had that change no output. */
    protected List<String> ignoredKeys() {
        return List.of();
    }

    /** A new adapter for {@code spec} with seeded PyTorch-default initialisation. */
    public static Adapter create(AdapterSpec spec, NDManager parent, long seed) {
        NDManager m = parent.newSubManager();
        try {
            return build(spec, m, AdapterParams.initialised(m, seed));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Reads {@code adapter.json} and {@code adapter.safetensors} from {@code dir}; every key must fit. */
    public static Adapter load(Path dir, NDManager parent) {
        AdapterSpec spec = AdapterSpec.read(dir);
        if (!Files.isRegularFile(dir.resolve(AdapterSpec.WEIGHTS))) {
            throw new IllegalArgumentException("adapter weights not found: " + dir.resolve(AdapterSpec.WEIGHTS));
        }
        NDManager m = parent.newSubManager();
        try (Checkpoint checkpoint = Checkpoint.open(dir, List.of(AdapterSpec.WEIGHTS))) {
            AdapterParams params = AdapterParams.fromCheckpoint(m, new WeightLoader(checkpoint, m));
            Adapter a = build(spec, m, params);
            params.finish(spec.strategy() + " adapter " + spec.id(), a.ignoredKeys());
            return a;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Each strategy's options; any other name in adapter.json is refused rather than silently ignored. */
    public static final Map<String, List<String>> OPTIONS = Map.of(
            "mean", List.of("tokens"),
            "avgpool", List.of("grid"),
            "conv", List.of("kernel", "width"),
            "resampler", List.of("queries", "layers", "width", "heads"),
            "mlp", List.of());

    private static Adapter build(AdapterSpec spec, NDManager m, AdapterParams params) {
        List<String> known = OPTIONS.get(spec.strategy());
        if (known != null) {
            for (String option : spec.options().keySet()) {
                if (!known.contains(option)) {
                    throw new IllegalArgumentException("unknown option '" + option + "' for the " + spec.strategy()
                            + " adapter (" + (known.isEmpty() ? "it has none" : "its options: " + String.join(", ", known)) + ")");
                }
            }
        }
        return switch (spec.strategy()) {
            case "mean" -> new MeanAdapter(spec, m, params);
            case "avgpool" -> new AvgPoolAdapter(spec, m, params);
            case "conv" -> new ConvAdapter(spec, m, params);
            case "resampler" -> new ResamplerAdapter(spec, m, params);
            case "mlp" -> new MlpAdapter(spec, m, params);
            default -> throw new IllegalArgumentException("unknown adapter strategy '" + spec.strategy() + "' (one of "
                    + String.join(", ", STRATEGIES) + ")");
        };
    }

    /** Writes {@code adapter.safetensors} (fp32) and {@code adapter.json} with {@code spec}. */
    public void save(Path dir, AdapterSpec withSummary) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        parameters.forEach((name, a) -> tensors.put(name,
                Tensor.ofFloats(DType.F32, a.getShape().getShape(), a.toFloatArray())));
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(AdapterSpec.WEIGHTS), Safetensors.encode(tensors,
                    Map.of("format", "pt", "adapter_id", String.valueOf(withSummary.id()), "strategy", spec.strategy())));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + dir.resolve(AdapterSpec.WEIGHTS) + ": " + e.getMessage(), e);
        }
        withSummary.write(dir);
    }

    /**
     * Java arrays in and out: each item's features [frames × d_vision], row-major, to its prefix [n × d_llm]
     * ({@code prefix.length / d_llm} tokens), as {@link #forwardEach} computes them.
     */
    public List<float[]> project(List<float[]> features) {
        try (NDManager scope = newScope()) {
            return java.util.Arrays.stream(forwardEach(scope, features)).map(NDArray::toFloatArray).toList();
        }
    }

    /**
     * Each item's features [frames × d_vision], row-major, through the adapter: its prefix [n_i, d_llm] in
     * {@code scope}, in item order (differentiable when the parameters require gradients). Items of the same length
     * go through as one batch; image features all have {@code vision.tokens} rows, so an image batch is one forward
     * pass, while audio clips are batched by frame count, since a conv adapter's prefix is as long as its clip.
     */
    public NDArray[] forwardEach(NDManager scope, List<float[]> features) {
        int d = spec.vision().dim();
        Map<Integer, List<Integer>> byFrames = new java.util.TreeMap<>();
        for (int i = 0; i < features.size(); i++) {
            int length = features.get(i).length;
            int frames = length / d;
            boolean fits = length % d == 0 && (spec.vision().audio() ? frames >= 1 && frames <= spec.vision().tokens()
                    : frames == spec.vision().tokens());
            if (!fits) {
                throw new IllegalArgumentException("features of " + length + " values do not fit [" + (spec.vision().audio()
                        ? "1.." : "") + spec.vision().tokens() + " x " + d + "]");
            }
            byFrames.computeIfAbsent(frames, f -> new ArrayList<>()).add(i);
        }
        NDArray[] out = new NDArray[features.size()];
        byFrames.forEach((frames, items) -> {
            float[] x = new float[items.size() * frames * d];
            for (int j = 0; j < items.size(); j++) {
                System.arraycopy(features.get(items.get(j)), 0, x, j * frames * d, frames * d);
            }
            NDArray prefix = forward(scope.create(x, new ai.djl.ndarray.types.Shape(items.size(), frames, d)));  // [b, n, H]
            for (int j = 0; j < items.size(); j++) {
                out[items.get(j)] = prefix.get(j);                                                          // [n, H]
            }
        });
        return out;
    }

    /** A scope for one forward pass's arrays, on the adapter's device. */
    public NDManager newScope() {
        return manager.newSubManager();
    }

    public AdapterSpec spec() {
        return spec;
    }

    /** Trainable tensors by checkpoint name. */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    public long parameterCount() {
        return parameters.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    /**
     * Refuses audio features for a strategy built on the image's square patch grid, naming the ones that take a
     * sequence.
     */
    protected void requireImage(String why) {
        if (spec.vision().audio()) {
            throw new IllegalArgumentException("the " + spec.strategy() + " adapter " + why + "; audio features are a "
                    + "1-D sequence of frames: use --strategy conv or mean (or mlp) for audio");
        }
    }

    /** Patches per side of the feature grid (the CLS token, when kept, is not on the grid). */
    protected int grid() {
        int patches = spec.vision().tokens() - (spec.vision().keepCls() ? 1 : 0);
        int g = (int) Math.round(Math.sqrt(patches));
        if (g * g != patches) {
            throw new IllegalArgumentException(spec.strategy() + " needs a square patch grid, got " + patches + " patches");
        }
        return g;
    }

    /** The patch tokens of {@code features}: without CLS if the features keep it. [B, g*g, D] */
    protected NDArray patches(NDArray features) {
        return spec.vision().keepCls() ? features.get(":, 1:, :") : features;
    }

    @Override
    public void close() {
        manager.close();
    }
}
