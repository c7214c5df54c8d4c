package dev.caption.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor of a safetensors blob: dtype, shape and its row-major little-endian bytes.
 *
 * <p>The bytes are a read-only view; a tensor read from a blob shares the blob's array instead of copying it.
 */
public final class Tensor {

    private final DType dtype;
    private final long[] shape;
    private final ByteBuffer data;

    private Tensor(DType dtype, long[] shape, ByteBuffer data) {
        long expected = Safetensors.byteLength(dtype, shape);
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("a " + dtype + " tensor of shape " + Arrays.toString(shape)
                    + " needs " + expected + " bytes, got " + data.remaining());
        }
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = data.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Wraps raw little-endian bytes (not copied). */
    public static Tensor of(DType dtype, long[] shape, ByteBuffer data) {
        return new Tensor(dtype, shape, data);
    }

    /** Encodes floats as F32, F16 or BF16 (the latter two rounded to nearest even). */
    public static Tensor ofFloats(DType dtype, long[] shape, float[] values) {
        long count = Safetensors.elementCount(shape);
        if (count != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + count
                    + " elements, got " + values.length + " values");
        }
        ByteBuffer buffer = ByteBuffer.allocate(Math.multiplyExact(values.length, dtype.byteSize()))
                .order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> buffer.asFloatBuffer().put(values);
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    buffer.putShort(2 * i, Float16.fromFloat(values[i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    buffer.putShort(2 * i, Float16.floatToBf16(values[i]));
                }
            }
            default -> throw new IllegalArgumentException("floats cannot be stored as " + dtype);
        }
        return new Tensor(dtype, shape, buffer);
    }

    public static Tensor ofLongs(long[] shape, long[] values) {
        if (Safetensors.elementCount(shape) != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold "
                    + values.length + " values");
        }
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asLongBuffer().put(values);
        return new Tensor(DType.I64, shape, buffer);
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    public long elementCount() {
        return Safetensors.elementCount(shape);
    }

    /** A read-only little-endian view of the bytes, positioned at 0. */
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public long byteLength() {
        return data.remaining();
    }

    /** How many values of a tensor are NaN and how many are infinite. */
    public record NonFinite(long nan, long infinite) {
        public boolean none() {
            return nan == 0 && infinite == 0;
        }
    }

    /**
     * Counts NaN and infinite values from the bits (an all-ones exponent: NaN with a mantissa, infinity without),
     * allocating nothing; integer tensors have none.
     */
    public NonFinite nonFinite() {
        int n = Math.toIntExact(elementCount());
        ByteBuffer b = data();
        long nan = 0;
        long inf = 0;
        for (int i = 0; i < n; i++) {
            long exponentBits;
            long mantissaBits;
            long bits;
            switch (dtype) {
                case F32 -> {
                    bits = b.getInt(4 * i);
                    exponentBits = 0x7F80_0000L;
                    mantissaBits = 0x007F_FFFFL;
                }
                case F16 -> {
                    bits = b.getShort(2 * i);
                    exponentBits = 0x7C00;
                    mantissaBits = 0x03FF;
                }
                case BF16 -> {
                    bits = b.getShort(2 * i);
                    exponentBits = 0x7F80;
                    mantissaBits = 0x007F;
                }
                case F64 -> {
                    bits = b.getLong(8 * i);
                    exponentBits = 0x7FF0_0000_0000_0000L;
                    mantissaBits = 0x000F_FFFF_FFFF_FFFFL;
                }
                default -> {
                    return new NonFinite(0, 0);
                }
            }
            if ((bits & exponentBits) == exponentBits) {
                if ((bits & mantissaBits) != 0) {
                    nan++;
                } else {
                    inf++;
                }
            }
        }
        return new NonFinite(nan, inf);
    }

    /** The values as floats: exact for F16, BF16 and F32; F64 is rounded. */
    public float[] toFloats() {
        int n = Math.toIntExact(elementCount());
        float[] out = new float[n];
        ByteBuffer b = data();
        switch (dtype) {
            case F32 -> b.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float16.toFloat(b.getShort(2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float16.bf16ToFloat(b.getShort(2 * i));
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(8 * i);
                }
            }
            default -> throw new IllegalStateException("a " + dtype + " tensor holds no floats");
        }
        return out;
    }

    public long[] toLongs() {
        int n = Math.toIntExact(elementCount());
        long[] out = new long[n];
        ByteBuffer b = data();
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case I64 -> b.getLong(8 * i);
                case I32 -> b.getInt(4 * i);
                case I16 -> b.getShort(2 * i);
                case I8 -> b.get(i);
                case U8, BOOL -> b.get(i) & 0xFF;
                default -> throw new IllegalStateException("a " + dtype + " tensor holds no integers");
            };
        }
        return out;
    }

    /** The same values in another float dtype. */
    public Tensor convert(DType target) {
        if (target == dtype) {
            return this;
        }
        return ofFloats(target, shape, toFloats());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && t.dtype == dtype && Arrays.equals(t.shape, shape) && t.data().equals(data());
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + data().hashCode();
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
