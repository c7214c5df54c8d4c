package dev.caption.nn.modules;

import java.nio.ByteBuffer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.caption.nn.kernels.CpuKernels;
import dev.caption.nn.kernels.KernelThreads;
import dev.caption.nn.kernels.PanelMatrix;

/**
 * A bias-free nn.Linear whose weight is packed for the CPU matmul kernel ({@link PanelMatrix}), fp32. For inference
 * only: the kernel runs outside libtorch, so autograd cannot go through it, and an input that requires a gradient
 * is refused rather than silently cut from the graph.
 */
public record PanelLinear(PanelMatrix weight, KernelThreads threads) implements LinearModule {

    /** x [..., in] -> [..., out] fp32, in x's manager. PyTorch: {@code F.linear(x, weight)}. */
    @Override
    public NDArray forward(NDArray x) {
        Shape shape = x.getShape();
        int last = shape.dimension() - 1;
        long in = shape.get(last);
        if (in != weight.cols()) {
            throw new IllegalArgumentException("linear layer takes " + weight.cols() + " features, got shape " + shape);
        }
        if (JniUtils.requiresGrad((PtNDArray) x)) {
            throw new IllegalStateException("this layer's weight is packed for the CPU kernel (a model loaded for "
                    + "generation); gradients cannot flow through it: load the model for training");
        }
        int rows = (int) (shape.size() / Math.max(in, 1));
        NDArray x32 = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray y = x.getManager().create(new Shape(rows, weight.rows()), DataType.FLOAT32);     // [rows, out]
        // the input is copied into the threads' reusable array, not a fresh one: a prompt batch's inputs are
        // megabytes per matmul, and as garbage they would grow the Java heap by hundreds of megabytes
        synchronized (threads) {
            float[] input = threads.inputArray(rows * (int) in);
            CpuKernels.memory(x32).asFloatBuffer().get(0, input, 0, rows * (int) in);
            weight.multiply(threads, input, rows, CpuKernels.memory(y));
        }
        return y.reshape(shape.slice(0, last).add(weight.rows()));
    }

    /**
     * x [rows, in] -> out [rows, out] on Java arrays, for a decoding step that keeps its activations in Java; the
     * kernel writes into {@code scratch}, a direct buffer of at least rows * out floats, that is then copied out.
     */
    public void forward(float[] x, int rows, ByteBuffer scratch, float[] out) {
        weight.multiply(threads, x, rows, scratch);
        scratch.asFloatBuffer().get(0, out, 0, rows * weight.rows());
    }
}
