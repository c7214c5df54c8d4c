package dev.caption.nn.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;

/**
 * Whether the CPU kernels ({@link PanelMatrix}, {@link DecodeAttention}) can run in this JVM. They are written with
 * the Vector API of Java 17, an incubator module that the JVM only offers when started with
 * {@code --add-modules jdk.incubator.vector} (the launcher, the services' images and the tests do); they need vectors
 * of at least 256 bits (AVX2); and Java 19 replaced the buffer loads they use. Without them, the models run every
 * matmul through libtorch, as before, only slower.
 *
 * <p>Nothing here touches a Vector API class before the module is known to be there.
 */
public final class CpuKernels {

    private static final String MODULE = "jdk.incubator.vector";

    private CpuKernels() {
    }

    /** Empty when the kernels can run; otherwise why not, in one line. */
    public static Optional<String> unavailable() {
        return Probe.REASON;
    }

    public static boolean available() {
        return Probe.REASON.isEmpty();
    }

    /**
     * An fp32 array's memory as a little-endian direct buffer that shares it: what the kernels write lands in the
     * array. For a contiguous CPU array only (DJL hands back a copy of anything else), as every array the kernels
     * read or write is.
     */
    public static ByteBuffer memory(NDArray array) {
        return ((PtNDArray) array).toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Kernel threads for this machine: one per available processor. */
    public static KernelThreads threads() {
        return new KernelThreads(Runtime.getRuntime().availableProcessors());
    }

    /** Checked once, on first use: the module, the vector size, and a 3x2 product computed by the kernel. */
    private static final class Probe {
        static final Optional<String> REASON = probe();

        private static Optional<String> probe() {
            if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
                return Optional.of("the JVM was started without --add-modules " + MODULE);
            }
            try {
                if (PanelMatrix.PANEL < 16) {
                    return Optional.of("vectors of " + PanelMatrix.PANEL * 16 + " bits are too narrow (AVX2 or wider needed)");
                }
                return selfTest();
            } catch (LinkageError e) {
                return Optional.of("this Java's Vector API differs from Java 17's (" + e + ")");
            }
        }

        private static Optional<String> selfTest() {
            float[][] w = {{1, 2}, {3, 4}, {5, -6}};           // [3, 2]
            float[] x = {0.5f, -1f};                           // [1, 2]
            try (NDManager manager = NDManager.newBaseManager(); KernelThreads one = new KernelThreads(1)) {
                for (PanelMatrix.Format format : PanelMatrix.Format.values()) {
                    PanelMatrix packed = PanelMatrix.pack(manager, 3, 2, format,
                            (r, dst) -> System.arraycopy(w[r], 0, dst, 0, 2), one);
                    // a direct buffer, as in real use: a heap one here would teach the JIT a second buffer type at
                    // the kernel's stores and cost the vector intrinsics there
                    java.nio.ByteBuffer y = java.nio.ByteBuffer.allocateDirect(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    packed.multiply(one, x, 1, y);
                    float[] expected = {-1.5f, -2.5f, 8.5f};
                    for (int i = 0; i < 3; i++) {
                        if (y.getFloat(4 * i) != expected[i]) {
                            return Optional.of("the kernel's self-test computed " + y.getFloat(4 * i) + " for "
                                    + expected[i] + " with " + format + " weights");
                        }
                    }
                }
                return Optional.empty();
            }
        }
    }
}
