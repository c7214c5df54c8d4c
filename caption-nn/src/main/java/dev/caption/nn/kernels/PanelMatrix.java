package dev.caption.nn.kernels;

import static jdk.incubator.vector.VectorOperators.AND;
import static jdk.incubator.vector.VectorOperators.LSHL;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * nn.Linear's weight W [rows = out, cols = in] laid out for the CPU matmul kernel: in panels of {@link #PANEL}
 * consecutive rows (two vector lengths), each panel stored column by column, so panel p is
 * {@code W[p*PANEL : (p+1)*PANEL, :].T} [cols, PANEL], contiguous. The last panel is padded with zero rows.
 *
 * <p>The panels hold fp32 values, or bf16 ones ({@link Format}) for a matrix whose every value bf16 holds exactly
 * (a bf16 checkpoint's): half the memory and half the bytes read per product. The kernel widens each bf16 value
 * to fp32 as it loads it (exact: a bf16 value is the upper half of its fp32 bits) and computes in fp32 either way,
 * so both formats give the same product bit for bit.
 *
 * <p>{@code y = x · Wᵀ} then streams each panel once per block of input rows and multiplies it by up to 8 input
 * rows at a time, the products of one panel column with 8 broadcast inputs accumulating in 16 vector registers:
 * every loaded weight vector does 8 fused multiply-adds and nothing is reduced across lanes. That is what brings
 * few-row products (decoding) to the memory bandwidth and batches of 8 to 64 rows near the FMA peak, where
 * libtorch's BLAS reads skinny products at a fraction of either. A single row (decoding one sequence) goes through
 * four panels at once instead, so that enough independent FMA chains are in flight to keep up with memory. Each
 * output is a plain left-to-right sum over the input dimension in fp32, the same for every tile size, so a row's
 * outputs do not depend on its batch.
 *
 * <p>The panels live in NDArrays of the owner's manager (so libtorch's allocator backs them, with huge pages when
 * enabled), in chunks of at most 1 GiB, and this object reads and writes them through direct buffers.
 */
public final class PanelMatrix {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    /** Rows per panel: two vectors of outputs per micro-kernel row. */
    public static final int PANEL = 2 * LANES;
    /** Input rows per micro-kernel call: 16 accumulators need 32 vector registers (AVX-512); with 16, half. */
    static final int MAX_TILE = LANES >= 16 ? 8 : 4;
    /** Input rows per pass over the weights: larger batches are cut so the inputs stay in cache. */
    private static final int ROW_BLOCK = 256;
    private static final long MAX_CHUNK_BYTES = 1L << 30;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** A bf16 panel column: PANEL values, as LANES ints of two values each (see {@link #slot}). */
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, SPECIES.vectorShape());
    /** The upper halves of a bf16 column's ints: outputs LANES.. of the column, already in fp32 position. */
    private static final int HIGH_HALVES = 0xFFFF0000;

    /** How the panels store each value. */
    public enum Format {
        /** 4 bytes a value. */
        FP32(4),
        /** 2 bytes a value: the upper half of its fp32 bits, for values bf16 holds exactly. */
        BF16(2);

        final int bytes;

        Format(int bytes) {
            this.bytes = bytes;
        }
    }

    /** Reads row {@code r} of the unpacked matrix [rows, cols] into {@code dst[0, cols)}. */
    @FunctionalInterface
    public interface RowReader {
        void read(int r, float[] dst);
    }

    private final int rows;
    private final int cols;
    /** The first row of the panels' matrix that this one starts at (views of stacked matrices). */
    private final int firstRow;
    private final int panelsPerChunk;
    private final Format format;
    /** format == BF16, read in the kernels' inner loops. */
    private final boolean bf16;
    private final ByteBuffer[] chunks;      // per chunk [panels, cols, PANEL] fp32 or bf16, little-endian
    private final NDArray[] storage;        // the arrays behind the chunks, kept alive with this

    private PanelMatrix(int rows, int cols, int firstRow, int panelsPerChunk, Format format, ByteBuffer[] chunks,
            NDArray[] storage) {
        this.rows = rows;
        this.cols = cols;
        this.firstRow = firstRow;
        this.panelsPerChunk = panelsPerChunk;
        this.format = format;
        this.bf16 = format == Format.BF16;
        this.chunks = chunks;
        this.storage = storage;
    }

    /**
     * Packs a [rows, cols] matrix read row by row from {@code source} into panels of {@code format} owned by
     * {@code owner}, the panels split over {@code threads}. Throws if a value read for bf16 panels is not exactly
     * a bf16 value.
     */
    public static PanelMatrix pack(NDManager owner, int rows, int cols, Format format, RowReader source,
            KernelThreads threads) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("cannot pack a " + rows + "x" + cols + " matrix");
        }
        long panelBytes = (long) cols * PANEL * format.bytes;
        int panels = ceilDiv(rows, PANEL);
        int perChunk = (int) Math.max(1, Math.min(panels, MAX_CHUNK_BYTES / panelBytes));
        int chunkCount = ceilDiv(panels, perChunk);
        ByteBuffer[] chunks = new ByteBuffer[chunkCount];
        NDArray[] storage = new NDArray[chunkCount];
        for (int c = 0; c < chunkCount; c++) {
            int n = Math.min(perChunk, panels - c * perChunk);
            // uninitialised; bf16 panels as pairs of bytes, since DJL's PyTorch engine aborts the JVM on a BFLOAT16
            // (or an INT16) array
            storage[c] = format == Format.BF16 ? owner.create(new Shape(n, cols, PANEL * 2), DataType.INT8)
                    : owner.create(new Shape(n, cols, PANEL), DataType.FLOAT32);
            chunks[c] = CpuKernels.memory(storage[c]);
        }
        PanelMatrix packed = new PanelMatrix(rows, cols, 0, perChunk, format, chunks, storage);
        try {
            threads.run(panels, p -> packed.fill(p, source));
        } catch (RuntimeException e) {
            for (NDArray chunk : storage) {
                chunk.close();
            }
            throw e;
        }
        return packed;
    }

    /** A reader of an fp32 little-endian matrix [rows, cols] held in a buffer (a mapped file, an NDArray's data). */
    public static RowReader fp32Rows(ByteBuffer data, int cols) {
        ByteBuffer le = data.duplicate().order(LE);
        int start = le.position();
        return (r, dst) -> {
            long at = start + (long) r * cols * 4;
            for (int k = 0; k < cols; k++) {
                dst[k] = le.getFloat((int) (at + 4L * k));
            }
        };
    }

    private void fill(int p, RowReader source) {
        ByteBuffer chunk = chunks[p / panelsPerChunk];
        int base = (p % panelsPerChunk) * cols * PANEL;
        float[] row = new float[cols];
        for (int j = 0; j < PANEL; j++) {
            int r = p * PANEL + j;
            if (r < rows) {
                source.read(r, row);
            } else {
                java.util.Arrays.fill(row, 0f);                  // padding rows of the last panel
            }
            for (int k = 0; k < cols; k++) {
                int at = base + k * PANEL + slot(j);
                if (!bf16) {
                    chunk.putFloat(at * 4, row[k]);
                    continue;
                }
                int bits = Float.floatToRawIntBits(row[k]);
                if ((bits & 0xFFFF) != 0) {
                    throw new IllegalArgumentException("row " + r + " column " + k + " holds " + row[k]
                            + ", which bf16 cannot hold exactly: pack it as fp32");
                }
                chunk.putShort(at * 2, (short) (bits >>> 16));
            }
        }
    }

    /**
     * Where output j of a panel column sits in it: at j for fp32; for bf16 outputs j and LANES + j share the int at
     * 2j (low and high half). The kernels then widen a column's first LANES outputs with one shift of its ints
     * (a bf16 value is the upper half of its fp32 bits), and the other LANES with one mask, with no shuffle. They
     * do so inline in every loop rather than in a helper: a method that returns a FloatVector boxes it wherever the
     * JIT does not inline it (see {@link #store}).
     */
    private int slot(int j) {
        return !bf16 ? j : j < LANES ? 2 * j : 2 * (j - LANES) + 1;
    }

    /** Rows [from, to) of this matrix, sharing its panels: the q/k/v parts of a stacked projection, say. */
    public PanelMatrix rows(int from, int to) {
        if (from < 0 || to > rows || from >= to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") of a matrix of " + rows);
        }
        return new PanelMatrix(to - from, cols, firstRow + from, panelsPerChunk, format, chunks, storage);
    }

    /** Output features (W's rows). */
    public int rows() {
        return rows;
    }

    /** Input features (W's columns). */
    public int cols() {
        return cols;
    }

    /** How the panels store each value. */
    public Format format() {
        return format;
    }

    /** The bytes the panels take (all of them, for a view of rows too). */
    public long bytes() {
        long total = 0;
        for (NDArray chunk : storage) {
            total += chunk.size() * chunk.getDataType().getNumOfBytes();
        }
        return total;
    }

    /** Row {@code r} of W [cols] into {@code dst[offset, offset + cols)}: an embedding lookup on a tied matrix. */
    public void row(int r, float[] dst, int offset) {
        if (r < 0 || r >= rows) {
            throw new IndexOutOfBoundsException("row " + r + " of a matrix of " + rows);
        }
        int g = firstRow + r;
        int p = g / PANEL;
        ByteBuffer chunk = chunks[p / panelsPerChunk];
        int at = (p % panelsPerChunk) * cols * PANEL + slot(g % PANEL);
        for (int k = 0; k < cols; k++) {
            int i = at + k * PANEL;
            dst[offset + k] = bf16 ? Float.intBitsToFloat(chunk.getShort(i * 2) << 16) : chunk.getFloat(i * 4);
        }
    }

    /**
     * y = x · Wᵀ. PyTorch: {@code F.linear(x, W)}.
     *
     * @param x [m, cols] row-major
     * @param y [m, rows] row-major, fp32 little-endian, written in full; a direct buffer (an NDArray's data)
     */
    public void multiply(KernelThreads threads, float[] x, int m, ByteBuffer y) {
        if (!y.isDirect()) {
            // one buffer type at the vector stores keeps them intrinsified
            throw new IllegalArgumentException("multiply writes into direct buffers only");
        }
        if (x.length < (long) m * cols || y.capacity() < (long) m * rows * 4) {
            throw new IllegalArgumentException("multiply: x holds " + x.length + " floats and y " + y.capacity() / 4
                    + " for " + m + " rows of " + cols + " -> " + rows);
        }
        int firstPanel = firstRow / PANEL;
        int panels = ceilDiv(firstRow + rows, PANEL) - firstPanel;
        // a task is a few panels: enough tasks to balance the threads, few enough to keep the handout cheap; for a
        // single row a multiple of 4, so that gemv4 takes them all (with 512-bit vectors a 1024-row matrix is only
        // 32 panels, which would otherwise be handed out in twos, each through tile1 at half the memory speed)
        int balanced = Math.max(1, panels / (threads.size() * 8));
        int group = m == 1 ? (balanced + 3) / 4 * 4 : balanced;
        int tasks = ceilDiv(panels, group);
        for (int m0 = 0; m0 < m; m0 += ROW_BLOCK) {
            int block = m0;
            int blockRows = Math.min(ROW_BLOCK, m - m0);
            threads.run(tasks, t -> {
                float[] sums = new float[Math.max(MAX_TILE, 4) * PANEL];
                int end = Math.min(panels, (t + 1) * group);
                int p = t * group;
                if (blockRows == 1) {
                    // one input row: four panels at a time, eight independent FMA chains (see gemv4)
                    for (; p + 3 < end && sameChunk(firstPanel + p, firstPanel + p + 3); p += 4) {
                        gemv4(firstPanel + p, x, block, y, sums);
                    }
                }
                for (; p < end; p++) {
                    panel(firstPanel + p, x, block, blockRows, y, sums);
                }
            });
        }
    }

    /** Rows [m0, m0 + count) of x through panel p. */
    private void panel(int p, float[] x, int m0, int count, ByteBuffer y, float[] sums) {
        ByteBuffer w = chunks[p / panelsPerChunk];
        int base = (p % panelsPerChunk) * cols * PANEL;                  // in values
        int col = p * PANEL - firstRow;              // this panel's first output column, in this matrix
        int m = m0;
        int end = m0 + count;
        while (m < end) {
            int left = end - m;
            if (left >= MAX_TILE && MAX_TILE == 8) {
                tile8(w, base, x, m, y, col, sums);
                m += 8;
            } else if (left >= 4) {
                tile4(w, base, x, m, y, col, sums);
                m += 4;
            } else if (left >= 2) {
                tile2(w, base, x, m, y, col, sums);
                m += 2;
            } else {
                tile1(w, base, x, m, y, col, sums);
                m += 1;
            }
        }
    }

    // ------------------------------------------------------------------ micro-kernels
    // y[m + i, col : col + PANEL] = sum_k x[m + i, k] * panel[k, :], for i < tile rows. Each loaded pair of weight
    // vectors (one panel column, PANEL outputs) meets every row's broadcast input; accumulators stay in registers.

    private void tile8(ByteBuffer w, int base, float[] x, int m, ByteBuffer y, int col, float[] sums) {
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        int k0 = m * cols;
        int o = base;
        for (int k = 0; k < cols; k++, o += PANEL) {
            FloatVector lo = bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * o, LE).lanewise(LSHL, 16).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * o, LE);                        // panel[k, :LANES]
            FloatVector hi = bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * o, LE).lanewise(AND, HIGH_HALVES).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * (o + LANES), LE);              // panel[k, LANES:]
            int i = k0 + k;
            FloatVector v = FloatVector.broadcast(SPECIES, x[i]);
            a0 = lo.fma(v, a0);
            b0 = hi.fma(v, b0);
            v = FloatVector.broadcast(SPECIES, x[i + cols]);
            a1 = lo.fma(v, a1);
            b1 = hi.fma(v, b1);
            v = FloatVector.broadcast(SPECIES, x[i + 2 * cols]);
            a2 = lo.fma(v, a2);
            b2 = hi.fma(v, b2);
            v = FloatVector.broadcast(SPECIES, x[i + 3 * cols]);
            a3 = lo.fma(v, a3);
            b3 = hi.fma(v, b3);
            v = FloatVector.broadcast(SPECIES, x[i + 4 * cols]);
            a4 = lo.fma(v, a4);
            b4 = hi.fma(v, b4);
            v = FloatVector.broadcast(SPECIES, x[i + 5 * cols]);
            a5 = lo.fma(v, a5);
            b5 = hi.fma(v, b5);
            v = FloatVector.broadcast(SPECIES, x[i + 6 * cols]);
            a6 = lo.fma(v, a6);
            b6 = hi.fma(v, b6);
            v = FloatVector.broadcast(SPECIES, x[i + 7 * cols]);
            a7 = lo.fma(v, a7);
            b7 = hi.fma(v, b7);
        }
        a0.intoArray(sums, 0);
        b0.intoArray(sums, LANES);
        a1.intoArray(sums, PANEL);
        b1.intoArray(sums, PANEL + LANES);
        a2.intoArray(sums, 2 * PANEL);
        b2.intoArray(sums, 2 * PANEL + LANES);
        a3.intoArray(sums, 3 * PANEL);
        b3.intoArray(sums, 3 * PANEL + LANES);
        a4.intoArray(sums, 4 * PANEL);
        b4.intoArray(sums, 4 * PANEL + LANES);
        a5.intoArray(sums, 5 * PANEL);
        b5.intoArray(sums, 5 * PANEL + LANES);
        a6.intoArray(sums, 6 * PANEL);
        b6.intoArray(sums, 6 * PANEL + LANES);
        a7.intoArray(sums, 7 * PANEL);
        b7.intoArray(sums, 7 * PANEL + LANES);
        store(sums, 8, PANEL, y, m, col);
    }

    private void tile4(ByteBuffer w, int base, float[] x, int m, ByteBuffer y, int col, float[] sums) {
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int k0 = m * cols;
        int o = base;
        for (int k = 0; k < cols; k++, o += PANEL) {
            FloatVector lo = bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * o, LE).lanewise(LSHL, 16).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * o, LE);
            FloatVector hi = bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * o, LE).lanewise(AND, HIGH_HALVES).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * (o + LANES), LE);
            int i = k0 + k;
            FloatVector v = FloatVector.broadcast(SPECIES, x[i]);
            a0 = lo.fma(v, a0);
            b0 = hi.fma(v, b0);
            v = FloatVector.broadcast(SPECIES, x[i + cols]);
            a1 = lo.fma(v, a1);
            b1 = hi.fma(v, b1);
            v = FloatVector.broadcast(SPECIES, x[i + 2 * cols]);
            a2 = lo.fma(v, a2);
            b2 = hi.fma(v, b2);
            v = FloatVector.broadcast(SPECIES, x[i + 3 * cols]);
            a3 = lo.fma(v, a3);
            b3 = hi.fma(v, b3);
        }
        a0.intoArray(sums, 0);
        b0.intoArray(sums, LANES);
        a1.intoArray(sums, PANEL);
        b1.intoArray(sums, PANEL + LANES);
        a2.intoArray(sums, 2 * PANEL);
        b2.intoArray(sums, 2 * PANEL + LANES);
        a3.intoArray(sums, 3 * PANEL);
        b3.intoArray(sums, 3 * PANEL + LANES);
        store(sums, 4, PANEL, y, m, col);
    }

    private void tile2(ByteBuffer w, int base, float[] x, int m, ByteBuffer y, int col, float[] sums) {
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, b0 = a0, b1 = a0;
        int k0 = m * cols;
        int o = base;
        for (int k = 0; k < cols; k++, o += PANEL) {
            FloatVector lo = bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * o, LE).lanewise(LSHL, 16).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * o, LE);
            FloatVector hi = bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * o, LE).lanewise(AND, HIGH_HALVES).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * (o + LANES), LE);
            FloatVector v = FloatVector.broadcast(SPECIES, x[k0 + k]);
            a0 = lo.fma(v, a0);
            b0 = hi.fma(v, b0);
            v = FloatVector.broadcast(SPECIES, x[k0 + cols + k]);
            a1 = lo.fma(v, a1);
            b1 = hi.fma(v, b1);
        }
        a0.intoArray(sums, 0);
        b0.intoArray(sums, LANES);
        a1.intoArray(sums, PANEL);
        b1.intoArray(sums, PANEL + LANES);
        store(sums, 2, PANEL, y, m, col);
    }

    /**
     * One input row (a gemv). It sums in the same order as the wider tiles, so a row's outputs do not depend on how
     * many rows it was batched with. Used for a single row only on the last panels of a task: {@link #gemv4}
     * takes the others.
     */
    private void tile1(ByteBuffer w, int base, float[] x, int m, ByteBuffer y, int col, float[] sums) {
        FloatVector a0 = FloatVector.zero(SPECIES), b0 = a0;
        int k0 = m * cols;
        int o = base;
        for (int k = 0; k < cols; k++, o += PANEL) {
            FloatVector v = FloatVector.broadcast(SPECIES, x[k0 + k]);
            FloatVector lo = bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * o, LE).lanewise(LSHL, 16).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * o, LE);
            FloatVector hi = bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * o, LE).lanewise(AND, HIGH_HALVES).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * (o + LANES), LE);
            a0 = lo.fma(v, a0);
            b0 = hi.fma(v, b0);
        }
        a0.intoArray(sums, 0);
        b0.intoArray(sums, LANES);
        store(sums, 1, PANEL, y, m, col);
    }

    private boolean sameChunk(int p, int q) {
        return p / panelsPerChunk == q / panelsPerChunk;
    }

    /**
     * Row m of x through panels p to p + 3 (in one chunk): {@link #tile1} on four panels at once. One panel's two
     * FMA chains wait on the FMA latency at every column and read memory at half the speed it delivers (25 GB/s
     * on two cores here against 50); eight chains over four streams keep it busy. Each output is summed in the
     * same order as in tile1.
     */
    private void gemv4(int p, float[] x, int m, ByteBuffer y, float[] sums) {
        ByteBuffer w = chunks[p / panelsPerChunk];
        int base = (p % panelsPerChunk) * cols * PANEL;                  // in values
        int p1 = base + cols * PANEL;
        int p2 = p1 + cols * PANEL;
        int p3 = p2 + cols * PANEL;
        FloatVector a0 = FloatVector.zero(SPECIES), b0 = a0, c0 = a0, d0 = a0, e0 = a0, f0 = a0, g0 = a0, h0 = a0;
        int k0 = m * cols;
        int o = 0;
        for (int k = 0; k < cols; k++, o += PANEL) {
            FloatVector v = FloatVector.broadcast(SPECIES, x[k0 + k]);
            int p0o = base + o;
            a0 = (bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * p0o, LE).lanewise(LSHL, 16).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * p0o, LE)).fma(v, a0);
            b0 = (bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * p0o, LE).lanewise(AND, HIGH_HALVES).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * (p0o + LANES), LE)).fma(v, b0);
            int p1o = p1 + o;
            c0 = (bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * p1o, LE).lanewise(LSHL, 16).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * p1o, LE)).fma(v, c0);
            d0 = (bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * p1o, LE).lanewise(AND, HIGH_HALVES).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * (p1o + LANES), LE)).fma(v, d0);
            int p2o = p2 + o;
            e0 = (bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * p2o, LE).lanewise(LSHL, 16).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * p2o, LE)).fma(v, e0);
            f0 = (bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * p2o, LE).lanewise(AND, HIGH_HALVES).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * (p2o + LANES), LE)).fma(v, f0);
            int p3o = p3 + o;
            g0 = (bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * p3o, LE).lanewise(LSHL, 16).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * p3o, LE)).fma(v, g0);
            h0 = (bf16
                    ? IntVector.fromByteBuffer(INTS, w, 2 * p3o, LE).lanewise(AND, HIGH_HALVES).reinterpretAsFloats()
                    : FloatVector.fromByteBuffer(SPECIES, w, 4 * (p3o + LANES), LE)).fma(v, h0);
        }
        int col = p * PANEL - firstRow;
        a0.intoArray(sums, 0);
        b0.intoArray(sums, LANES);
        c0.intoArray(sums, PANEL);
        d0.intoArray(sums, PANEL + LANES);
        e0.intoArray(sums, 2 * PANEL);
        f0.intoArray(sums, 2 * PANEL + LANES);
        g0.intoArray(sums, 3 * PANEL);
        h0.intoArray(sums, 3 * PANEL + LANES);
        store(sums, 1, 4 * PANEL, y, m, col);               // the four panels' columns are consecutive
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /**
     * Copies a tile's sums (row r at {@code sums[r * width]}) to rows m.. of y from column {@code col}, keeping only
     * the columns inside this matrix. The tiles hand their accumulators over in an array, not as FloatVector
     * arguments: a vector passed to a method the JIT did not inline is boxed, and once this method had been compiled
     * on its own C2 stopped inlining it into the tiles, so every store allocated (30 GB/s of garbage, steps 5x slower).
     */
    private void store(float[] sums, int tileRows, int width, ByteBuffer y, int m, int col) {
        int from = Math.max(0, -col);
        int to = Math.min(width, rows - col);
        for (int r = 0; r < tileRows; r++) {
            int at = ((m + r) * rows + col) * 4;
            int j = from;
            if (from == 0) {
                for (; j + LANES <= to; j += LANES) {
                    FloatVector.fromArray(SPECIES, sums, r * width + j).intoByteBuffer(y, at + j * 4, LE);
                }
            }
            for (; j < to; j++) {
                y.putFloat(at + j * 4, sums[r * width + j]);
            }
        }
    }
}
