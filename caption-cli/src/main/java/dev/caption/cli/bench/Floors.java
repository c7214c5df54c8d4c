package dev.caption.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * What this machine can do at best, measured in the benchmark's own run: read bandwidth (a sum over 1 GiB) and the
 * fp32 GEMM peak (a 1024³ matmul). A single reading can come out low when something else runs, and a low floor
 * flatters the work compared with it, so a benchmark calls {@link #sample()} between its timed sections and
 * compares with the best reading (highest bandwidth, highest GFLOP/s). Allocation and page faults stay out of the
 * timings.
 */
final class Floors implements AutoCloseable {

    private static final long SUM_FLOATS = 256L << 20;     // 1 GiB of fp32
    private static final int GEMM = 1024;

    private final NDManager scope;
    private double bestBandwidth;
    private double worstBandwidth = Double.MAX_VALUE;
    private double bestFlops;
    private double worstFlops = Double.MAX_VALUE;
    private int samples;

    Floors(NDManager manager) {
        scope = manager.newSubManager();
        sample();
    }

    /**
     * One more reading of each floor (best of 3 repetitions each). Its arrays exist only while it runs, so that
     * they do not count in the work's RSS.
     */
    void sample() {
        double sumSeconds = Double.MAX_VALUE;
        double gemmSeconds = Double.MAX_VALUE;
        try (NDManager reading = scope.newSubManager()) {
            NDArray ones = reading.ones(new Shape(SUM_FLOATS));                   // [256 Mi], 1 GiB
            NDArray square = reading.randomNormal(new Shape(GEMM, GEMM));        // [1024, 1024]
            ones.sum().getFloat();                                               // page faults out of the timing
            for (int i = 0; i < 3; i++) {
                try (NDManager rep = reading.newSubManager()) {
                    long start = System.nanoTime();
                    NDArray sum = ones.sum();
                    sum.attach(rep);
                    sum.getFloat();
                    sumSeconds = Math.min(sumSeconds, (System.nanoTime() - start) / 1e9);
                    start = System.nanoTime();
                    NDArray product = square.matMul(square);
                    product.attach(rep);
                    product.getFloat(0, 0);
                    gemmSeconds = Math.min(gemmSeconds, (System.nanoTime() - start) / 1e9);
                }
            }
        }
        double bandwidth = SUM_FLOATS * 4.0 / sumSeconds;
        double flops = 2.0 * GEMM * GEMM * GEMM / gemmSeconds;
        bestBandwidth = Math.max(bestBandwidth, bandwidth);
        worstBandwidth = Math.min(worstBandwidth, bandwidth);
        bestFlops = Math.max(bestFlops, flops);
        worstFlops = Math.min(worstFlops, flops);
        samples++;
    }

    /** Best read bandwidth so far, bytes/s. */
    double bandwidth() {
        return bestBandwidth;
    }

    /** Best fp32 GEMM rate so far, FLOP/s. */
    double gemmFlops() {
        return bestFlops;
    }

    /** The time floor of work that reads {@code bytes} and computes {@code flops}: the larger of the two bounds. */
    double floorSeconds(double bytes, double flops) {
        return Math.max(bytes / bestBandwidth, flops / bestFlops);
    }

    /** One line: both floors, best and worst of the readings. */
    String describe() {
        return String.format(Locale.ROOT, "floors over %d readings: read bandwidth best %.1f GB/s (worst %.1f), "
                        + "fp32 GEMM best %.1f GFLOP/s (worst %.1f)", samples, bestBandwidth / 1e9, worstBandwidth / 1e9,
                bestFlops / 1e9, worstFlops / 1e9);
    }

    /** VmRSS (now) or VmHWM (peak) from /proc/self/status, bytes. */
    static long rssBytes(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return -1;
    }

    /** Starts VmHWM afresh from the current RSS (Linux: "5" into clear_refs), so that a section's peak is its own. */
    static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux, or not allowed: the peak then covers the whole process so far
        }
    }

    @Override
    public void close() {
        scope.close();
    }
}
