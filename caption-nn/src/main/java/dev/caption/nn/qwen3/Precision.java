package dev.caption.nn.qwen3;

import java.util.Locale;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

/**
 * Qwen3's compute type. RMSNorm and softmax run in fp32 whatever is chosen; bf16 is not offered because DJL's
 * PyTorch engine aborts the JVM on bfloat16 arrays.
 */
public enum Precision {
    /** fp32 on the CPU (fp16 matmuls are ~150× slower there), fp16 on a GPU. */
    AUTO,
    FP32,
    /** fp16 matmul weights and activations. */
    FP16;

    /** {@code auto}, {@code fp32}/{@code float32} or {@code fp16}/{@code float16}, any case. */
    public static Precision parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> AUTO;
            case "fp32", "float32" -> FP32;
            case "fp16", "float16" -> FP16;
            default -> throw new IllegalArgumentException("precision must be auto, fp32 or fp16, got '" + value
                    + "' (bf16 is not possible with DJL's PyTorch engine)");
        };
    }

    /** The matmul data type on {@code device}. */
    public DataType compute(Device device) {
        return switch (this) {
            case AUTO -> device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
            case FP32 -> DataType.FLOAT32;
            case FP16 -> DataType.FLOAT16;
        };
    }
}
