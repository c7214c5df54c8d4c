package dev.caption.nn.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDManager;
import dev.caption.tensor.Float16;

/**
 * The packed matmul against a plain double-precision product, for shapes that leave partial panels and partial
 * tiles, and the property batched greedy relies on: a row's output does not depend on how many rows are multiplied
 * with it.
 */
class PanelMatrixTest {

    private static NDManager manager;
    private static KernelThreads threads;

    @BeforeAll
    static void open() {
        assertTrue(CpuKernels.available(), () -> "the CPU kernels cannot run here: " + CpuKernels.unavailable().orElseThrow());
        manager = NDManager.newBaseManager();
        threads = new KernelThreads(2);
    }

    @AfterAll
    static void close() {
        threads.close();
        manager.close();
    }

    private static float[][] random(int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[][] w = new float[rows][cols];
        for (float[] row : w) {
            for (int k = 0; k < cols; k++) {
                row[k] = (float) r.nextGaussian();
            }
        }
        return w;
    }

    private static PanelMatrix pack(float[][] w) {
        return pack(w, PanelMatrix.Format.FP32);
    }

    private static PanelMatrix pack(float[][] w, PanelMatrix.Format format) {
        return PanelMatrix.pack(manager, w.length, w[0].length, format,
                (r, dst) -> System.arraycopy(w[r], 0, dst, 0, w[r].length), threads);
    }

    /** {@code w} with every value rounded to bf16, as a bf16 checkpoint holds it. */
    private static float[][] bf16(float[][] w) {
        float[][] rounded = new float[w.length][];
        for (int r = 0; r < w.length; r++) {
            rounded[r] = new float[w[r].length];
            for (int k = 0; k < w[r].length; k++) {
                rounded[r][k] = Float16.bf16ToFloat(Float16.floatToBf16(w[r][k]));
            }
        }
        return rounded;
    }

    private static float[] multiply(PanelMatrix w, float[][] x) {
        int cols = w.cols();
        float[] flat = new float[x.length * cols];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, flat, i * cols, cols);
        }
        ByteBuffer y = ByteBuffer.allocateDirect(x.length * w.rows() * 4).order(ByteOrder.LITTLE_ENDIAN);
        w.multiply(threads, flat, x.length, y);
        float[] out = new float[x.length * w.rows()];
        y.asFloatBuffer().get(out);
        return out;
    }

    /** Enough panels that a task of the single-row path gets four at a time (and the last one partial). */
    private static final int MANY_ROWS = 67 * PanelMatrix.PANEL + 5;

    @Test
    void theProductIsXTimesWTransposedForPartialPanelsAndTiles() {
        int rows = 3 * PanelMatrix.PANEL + 5;
        int cols = 77;
        float[][] w = random(rows, cols, 1);
        float[][] x = random(13, cols, 2);          // 13 = 8 + 4 + 1: every tile size
        assertProduct(w, x, multiply(pack(w), x));
    }

    @Test
    void aSingleRowIsMultipliedFourPanelsAtATimeWithTheSameProduct() {
        float[][] w = random(MANY_ROWS, 53, 7);
        float[][] x = random(1, 53, 8);
        assertProduct(w, x, multiply(pack(w), x));
    }

    private static void assertProduct(float[][] w, float[][] x, float[] y) {
        int rows = w.length;
        int cols = w[0].length;
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < rows; o++) {
                double expected = 0;
                for (int k = 0; k < cols; k++) {
                    expected += (double) x[i][k] * w[o][k];
                }
                assertEquals(expected, y[i * rows + o], 1e-4 * Math.max(1, Math.abs(expected)), "y[" + i + "][" + o + "]");
            }
        }
    }

    @Test
    void aRowsOutputIsTheSameBitForBitWhateverTheBatchItIsIn() {
        int cols = 64;
        // a view that starts inside a panel, over enough panels for the single-row path's four-panel kernel
        PanelMatrix w = pack(random(MANY_ROWS, cols, 3)).rows(PanelMatrix.PANEL / 2 + 1, MANY_ROWS - 2);
        int rows = w.rows();
        float[][] x = random(13, cols, 4);
        float[] batched = multiply(w, x);
        for (int i = 0; i < x.length; i++) {
            float[] alone = multiply(w, new float[][] {x[i]});
            float[] inBatch = java.util.Arrays.copyOfRange(batched, i * rows, (i + 1) * rows);
            assertArrayEquals(alone, inBatch, 0f, "row " + i);
        }
    }

    @Test
    void aViewOfRowsMultipliesAndReadsOutThoseRowsOnly() {
        int rows = 3 * PanelMatrix.PANEL;
        int cols = 40;
        float[][] w = random(rows, cols, 5);
        PanelMatrix all = pack(w);
        int from = PanelMatrix.PANEL / 2 + 1;
        int to = from + PanelMatrix.PANEL + 3;
        PanelMatrix view = all.rows(from, to);
        float[][] x = random(3, cols, 6);
        float[] full = multiply(all, x);
        float[] part = multiply(view, x);
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < to - from; o++) {
                assertEquals(full[i * rows + from + o], part[i * (to - from) + o], 0f);
            }
        }
        float[] row = new float[cols];
        view.row(2, row, 0);
        assertArrayEquals(w[from + 2], row, 0f);
        assertThrows(IndexOutOfBoundsException.class, () -> view.row(to - from, row, 0));
        assertThrows(IllegalArgumentException.class, () -> all.rows(0, rows + 1));
    }

    @Test
    void bf16PanelsGiveTheFp32PanelsProductBitForBit() {
        int cols = 72;
        // every tile size, and a view over enough panels for the single-row path's four-panel kernel
        float[][] w = bf16(random(MANY_ROWS, cols, 9));
        float[][] x = random(13, cols, 10);
        PanelMatrix fp32 = pack(w, PanelMatrix.Format.FP32).rows(3, MANY_ROWS - 1);
        PanelMatrix half = pack(w, PanelMatrix.Format.BF16).rows(3, MANY_ROWS - 1);
        assertEquals(PanelMatrix.Format.BF16, half.format());
        assertEquals(fp32.bytes(), 2 * half.bytes());
        assertArrayEquals(multiply(fp32, x), multiply(half, x), 0f);
        assertArrayEquals(multiply(fp32, new float[][] {x[0]}), multiply(half, new float[][] {x[0]}), 0f);
        float[] row = new float[cols];
        half.row(5, row, 0);
        assertArrayEquals(w[3 + 5], row, 0f);
    }

    @Test
    void packingAValueThatBf16CannotHoldAsBf16IsRefused() {
        float[][] w = bf16(random(PanelMatrix.PANEL + 1, 8, 11));
        w[PanelMatrix.PANEL][3] = 1.0001f;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pack(w, PanelMatrix.Format.BF16));
        assertTrue(e.getMessage().contains("row " + PanelMatrix.PANEL + " column 3"), e.getMessage());
    }
}
