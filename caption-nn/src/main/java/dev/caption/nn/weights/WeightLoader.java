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
import dev.caption.nn.kernels.CpuKernels;
import dev.caption.nn.kernels.KernelThreads;
import dev.caption.nn.kernels.PanelMatrix;
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
    /** Bytes of the tensors and panels handed out so far. */
    private long bytesHandedOut;

    private final long randomSeed;
    /** The dtype random weights are drawn in: F32, or BF16 for values rounded as a bf16 checkpoint holds them. */
    private final DType randomDtype;
    private final boolean shapesOnly;

    public WeightLoader(Checkpoint checkpoint, NDManager manager) {
        this.checkpoint = checkpoint;
        this.manager = manager;
        this.randomSeed = 0;
        this.randomDtype = DType.F32;
        this.shapesOnly = false;
    }

    private WeightLoader(NDManager manager, long seed, DType randomDtype, boolean shapesOnly) {
        this.checkpoint = null;
        this.manager = manager;
        this.randomSeed = seed;
        this.randomDtype = randomDtype;
        this.shapesOnly = shapesOnly;
    }

    /**
     * A loader that allocates nothing: every tensor is a placeholder scalar, and {@link #shapes()} records the
     * shapes asked for. For checking an architecture against published sizes without its memory.
     */
    public static WeightLoader shapesOnly(NDManager manager) {
        return new WeightLoader(manager, 0, DType.F32, true);
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
     * benchmarks, whose speed does not depend on the weights' values. {@code dtype} is the dtype of the model's hub
     * checkpoints, F32 or BF16: bf16 values are rounded to bf16 (and held in fp32 like a bf16 checkpoint's), so that
     * the weights are laid out as a real checkpoint's would be ({@link #packed}).
     */
    public static WeightLoader random(NDManager manager, long seed, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.BF16) {
            throw new IllegalArgumentException("random weights are F32 or BF16, not " + dtype);
        }
        return new WeightLoader(manager, seed, dtype, false);
    }

    /** Whether the checkpoint holds {@code name} (false without a checkpoint). */
    public boolean has(String name) {
        return checkpoint != null && checkpoint.locate(name) != null;
    }

    /** The named tensor, which must have {@code shape}; a placeholder of that shape if it is missing or wrong. */
    public NDArray take(String name, long... shape) {
        record(name, shape);
        if (shapesOnly) {
            return manager.create(0f);
        }
        bytesHandedOut += new Shape(shape).size() * 4;
        if (checkpoint == null) {
            return random(shape);
        }
        Checkpoint.Located located = located(name, shape);
        if (located == null) {
            return manager.zeros(new Shape(shape), DataType.FLOAT32);
        }
        ByteBuffer mapped = located.file().map(located.entry());
        ByteBuffer f32 = switch (located.entry().dtype()) {
            case F32 -> mapped;
            case BF16, F16 -> widen(mapped, located.entry().dtype());
            default -> throw unreadable(name, located.entry().dtype());
        };
        buffers.add(f32);
        return manager.create(f32, new Shape(shape), DataType.FLOAT32);
    }

    /** Notes that the model asked for {@code name} with {@code shape}. */
    private void record(String name, long[] shape) {
        shapes.putIfAbsent(name, shape.clone());
        taken.add(name);
    }

    /**
     * N(0, 0.02) of {@code shape}, seeded by the loader's seed and how many tensors were asked for so far, rounded
     * to bf16 in place for a BF16 loader on the CPU (on a GPU they stay fp32: there they are libtorch tensors either
     * way, and only the CPU kernels' panels depend on the dtype).
     */
    private NDArray random(long[] shape) {
        manager.getEngine().setRandomSeed((int) (randomSeed + taken.size()));
        NDArray random = manager.randomNormal(0f, 0.02f, new Shape(shape), DataType.FLOAT32);
        if (randomDtype == DType.BF16 && !random.getDevice().isGpu()) {
            ByteBuffer values = CpuKernels.memory(random);
            for (int i = 0; i < values.capacity(); i += 4) {
                values.putFloat(i, Float16.bf16ToFloat(Float16.floatToBf16(values.getFloat(i))));
            }
        }
        return random;
    }

    /**
     * The checkpoint's entry for {@code name}; null, with the problem recorded for {@link #finish}, if it is missing
     * or mis-shaped.
     */
    private Checkpoint.Located located(String name, long[] shape) {
        Checkpoint.Located located = checkpoint.locate(name);
        if (located == null) {
            missing.add(name + " " + Arrays.toString(shape));
            return null;
        }
        if (!Arrays.equals(located.entry().shape(), shape)) {
            mismatched.add(name + ": checkpoint " + Arrays.toString(located.entry().shape()) + ", model "
                    + Arrays.toString(shape));
            return null;
        }
        return located;
    }

    private static IllegalArgumentException unreadable(String name, DType dtype) {
        return new IllegalArgumentException(name + " is " + dtype + "; only F32, F16 and BF16 weights are read");
    }

    /** One matrix [rows, cols] of a stack that {@link #packed} lays out: its checkpoint name and its rows. */
    public record Part(String name, int rows) {
    }

    /**
     * The named matrices [rows_i, cols] stacked along their rows (torch.cat(parts, 0)) and packed for the CPU
     * matmul kernel: each is read once from the checkpoint in its own dtype, bf16 and f16 widened as they are read,
     * so no fp32 copy of the checkpoint is made. The panels are bf16 when every part is bf16 in the checkpoint (the
     * values unchanged, in half the memory), fp32 otherwise. A missing or mis-shaped part is recorded for
     * {@link #finish} like {@link #take}'s, and packed as zeros.
     */
    public PanelMatrix packed(List<Part> parts, int cols, KernelThreads threads) {
        if (shapesOnly) {
            throw new UnsupportedOperationException("a layout-only loader does not pack weights");
        }
        List<PanelMatrix.RowReader> readers = new ArrayList<>();
        List<NDArray> temporaries = new ArrayList<>();
        int[] starts = new int[parts.size() + 1];
        boolean allBf16 = true;
        for (int i = 0; i < parts.size(); i++) {
            Part part = parts.get(i);
            starts[i + 1] = starts[i] + part.rows();
            long[] shape = {part.rows(), cols};
            record(part.name(), shape);
            readers.add(rows(part.name(), shape, temporaries));
            allBf16 &= dtype(part.name()) == DType.BF16;
        }
        PanelMatrix.Format format = allBf16 ? PanelMatrix.Format.BF16 : PanelMatrix.Format.FP32;
        try {
            PanelMatrix packed = PanelMatrix.pack(manager, starts[parts.size()], cols, format, (r, dst) -> {
                int i = 0;
                while (r >= starts[i + 1]) {
                    i++;
                }
                readers.get(i).read(r - starts[i], dst);
            }, threads);
            bytesHandedOut += packed.bytes();
            return packed;
        } finally {
            temporaries.forEach(NDArray::close);
        }
    }

    /** The dtype {@code name} is held in: the checkpoint's, or the random weights'; null if it is missing. */
    private DType dtype(String name) {
        if (checkpoint == null) {
            return randomDtype;
        }
        Checkpoint.Located located = checkpoint.locate(name);
        return located == null ? null : located.entry().dtype();
    }

    /** A row reader of the named tensor [rows, cols] as {@link #take} would give it. */
    private PanelMatrix.RowReader rows(String name, long[] shape, List<NDArray> temporaries) {
        int cols = (int) shape[1];
        if (checkpoint == null) {
            NDArray random = random(shape);
            temporaries.add(random);
            return PanelMatrix.fp32Rows(CpuKernels.memory(random), cols);
        }
        Checkpoint.Located located = located(name, shape);
        if (located == null) {
            return (r, dst) -> Arrays.fill(dst, 0, cols, 0f);
        }
        ByteBuffer mapped = located.file().map(located.entry());
        DType dtype = located.entry().dtype();
        return switch (dtype) {
            case F32 -> PanelMatrix.fp32Rows(mapped, cols);
            case BF16, F16 -> {
                ByteBuffer half = mapped.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                int start = half.position();
                yield (r, dst) -> {
                    long at = start + 2L * r * cols;
                    for (int k = 0; k < cols; k++) {
                        dst[k] = widened(half.getShort((int) (at + 2L * k)), dtype);
                    }
                };
            }
            default -> throw unreadable(name, dtype);
        };
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

    /**
     * The bytes of everything handed out so far: fp32 tensors, and packed matrices in their panels' format
     * (padding included). A model's weights in memory, before any conversion to its compute type.
     */
    public long bytesHandedOut() {
        return bytesHandedOut;
    }

    /** Keeps the buffers (and so the arrays made from them) alive as long as the model holds this. */
    public List<ByteBuffer> buffers() {
        return buffers;
    }

    private static ByteBuffer widen(ByteBuffer half, DType dtype) {
        int n = half.remaining() / 2;
        ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            out.putFloat(i * 4, widened(half.getShort(half.position() + 2 * i), dtype));
        }
        return out;
    }

    /** One bf16 or f16 value as fp32. */
    private static float widened(short bits, DType dtype) {
        return dtype == DType.BF16 ? Float16.bf16ToFloat(bits) : Float16.toFloat(bits);
    }
}
