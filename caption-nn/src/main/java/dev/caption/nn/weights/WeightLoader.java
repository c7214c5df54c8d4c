package dev.caption.nn.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.caption.tensor.DType;
import dev.caption.tensor.Float16;

/**
 * Hands checkpoint tensors to model constructors as fp32 NDArrays and fails loudly at {@link #finish}: every
 * missing key, shape mismatch and unexpected key is listed, not just the first.
 *
 * <p>bf16 and f16 are widened to fp32 in Java (DJL's PyTorch engine aborts the JVM on any BFLOAT16 array). The
 * direct buffers behind the arrays are kept here, since an NDArray made from a Java buffer dies with it.
 */
public final class WeightLoader {

    private final Checkpoint checkpoint;
    private final NDManager manager;
    private final Set<String> taken = new LinkedHashSet<>();
    private final java.util.Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
    private final List<String> missing = new ArrayList<>();
    private final List<String> mismatched = new ArrayList<>();
    private final List<ByteBuffer> buffers = new ArrayList<>();

    private final long randomSeed;
    private final boolean shapesOnly;

    public WeightLoader(Checkpoint checkpoint, NDManager manager) {
        this.checkpoint = checkpoint;
        this.manager = manager;
        this.randomSeed = 0;
        this.shapesOnly = false;
    }

    private WeightLoader(NDManager manager, long seed, boolean shapesOnly) {
        this.checkpoint = null;
        this.manager = manager;
        this.randomSeed = seed;
        this.shapesOnly = shapesOnly;
    }

    /**
     * A loader that allocates nothing: every tensor is a placeholder scalar, and {@link #shapes()} records the
     * shapes asked for. For checking an architecture against published sizes without its memory.
     */
    public static WeightLoader shapesOnly(NDManager manager) {
        return new WeightLoader(manager, 0, true);
    }

    /** Name to shape of every tensor asked for, in order: a checkpoint's layout (see RandomCheckpoint). */
    public java.util.Map<String, long[]> shapes() {
        return java.util.Collections.unmodifiableMap(shapes);
    }

    /**
     * The checkpoint layout (name to shape) a model's constructor asks for, found by building it on placeholders
     * that allocate nothing. {@code build} constructs the model with the scratch manager and the loader factory given.
     */
    public static java.util.Map<String, long[]> layout(NDManager manager,
            java.util.function.BiConsumer<NDManager, java.util.function.Function<NDManager, WeightLoader>> build) {
        WeightLoader[] loader = new WeightLoader[1];
        try (NDManager scratch = manager.newSubManager()) {
            build.accept(scratch, m -> loader[0] = shapesOnly(m));
            return loader[0].shapes();
        }
    }

    /**
     * A loader without a checkpoint that hands out N(0, 0.02) tensors of the asked shapes: real-size models for
     * benchmarks, whose speed does not depend on the weights' values.
     */
    public static WeightLoader random(NDManager manager, long seed) {
        return new WeightLoader(manager, seed, false);
    }

    /** Whether the checkpoint holds {@code name} (false without a checkpoint). */
    public boolean has(String name) {
        return checkpoint != null && checkpoint.locate(name) != null;
    }

    /** The named tensor, which must have {@code shape}; a placeholder of that shape if it is missing or wrong. */
    public NDArray take(String name, long... shape) {
        shapes.putIfAbsent(name, shape.clone());
        taken.add(name);
        if (shapesOnly) {
            return manager.create(0f);
        }
        if (checkpoint == null) {
            manager.getEngine().setRandomSeed((int) (randomSeed + taken.size()));
            return manager.randomNormal(0f, 0.02f, new Shape(shape), DataType.FLOAT32);
        }
        Checkpoint.Located located = checkpoint.locate(name);
        if (located == null) {
            missing.add(name + " " + Arrays.toString(shape));
            return manager.zeros(new Shape(shape), DataType.FLOAT32);
        }
        if (!Arrays.equals(located.entry().shape(), shape)) {
            mismatched.add(name + ": checkpoint " + Arrays.toString(located.entry().shape()) + ", model "
                    + Arrays.toString(shape));
            return manager.zeros(new Shape(shape), DataType.FLOAT32);
        }
        ByteBuffer mapped = located.file().map(located.entry());
        ByteBuffer f32 = switch (located.entry().dtype()) {
            case F32 -> mapped;
            case BF16, F16 -> widen(mapped, located.entry().dtype());
            default -> throw new IllegalArgumentException(name + " is " + located.entry().dtype()
                    + "; only F32, F16 and BF16 weights are read");
        };
        buffers.add(f32);
        return manager.create(f32, new Shape(shape), DataType.FLOAT32);
    }

    /**
     * Throws if anything was missing or mis-shaped, or if the checkpoint holds names that nothing took and that do
     * not start with one of {@code ignoredPrefixes} (the text tower of a full CLIPModel, say).
     */
    public void finish(String model, String... ignoredPrefixes) {
        if (checkpoint == null) {
            return;
        }
        Set<String> unexpected = new TreeSet<>();
        for (String name : checkpoint.names()) {
            if (!taken.contains(name) && Arrays.stream(ignoredPrefixes).noneMatch(name::startsWith)) {
                unexpected.add(name);
            }
        }
        if (missing.isEmpty() && mismatched.isEmpty() && unexpected.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder("checkpoint does not fit " + model + ":");
        if (!missing.isEmpty()) {
            sb.append(" missing ").append(missing.size()).append(' ').append(missing).append(';');
        }
        if (!mismatched.isEmpty()) {
            sb.append(" wrong shape ").append(mismatched).append(';');
        }
        if (!unexpected.isEmpty()) {
            sb.append(" unexpected ").append(unexpected.size()).append(' ').append(unexpected).append(';');
        }
        throw new IllegalStateException(sb.substring(0, sb.length() - 1));
    }

    /** Keeps the buffers (and so the arrays made from them) alive as long as the model holds this. */
    public List<ByteBuffer> buffers() {
        return buffers;
    }

    private static ByteBuffer widen(ByteBuffer half, DType dtype) {
        int n = half.remaining() / 2;
        ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            short bits = half.getShort(half.position() + 2 * i);
            out.putFloat(i * 4, dtype == DType.BF16 ? Float16.bf16ToFloat(bits) : Float16.toFloat(bits));
        }
        return out;
    }
}
