package dev.caption.tensor;

/**
 * IEEE 754 binary16 and bfloat16 conversions, bit-exact with PyTorch's {@code .half()} / {@code .bfloat16()}
 * (round to nearest, ties to even; NaN stays NaN; overflow goes to infinity).
 *
 * <p>Java 17 has no {@code Float.floatToFloat16} (it arrived in Java 20), and DJL's PyTorch engine aborts on
 * BFLOAT16 arrays, so both conversions are done here.
 */
public final class Float16 {

    private Float16() {
    }

    /** binary16 bits to float; exact, since every half is a float. */
    public static float toFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {                       // inf / NaN
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign);    // +-0
            }
            // subnormal: mantissa * 2^-24, exact in float
            float magnitude = mantissa * 0x1.0p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** float to binary16 bits, round to nearest even. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFFFFFF;
        if (abs >= 0x7F800000) {                       // inf or NaN
            return (short) (sign | 0x7C00 | (abs > 0x7F800000 ? 0x200 | ((abs >>> 13) & 0x3FF) : 0));
        }
        if (abs >= 0x477FF000) {                       // >= 65520: rounds to infinity
            return (short) (sign | 0x7C00);
        }
        if (abs < 0x38800000) {                        // below the smallest normal half (2^-14): subnormal or 0
            if (abs < 0x33000000) {                    // < 2^-25: rounds to zero (2^-25 itself ties to 0, even)
                return (short) sign;
            }
            int exponent = abs >>> 23;
            int mantissa = (abs & 0x7FFFFF) | 0x800000;
            int shift = 126 - exponent;                // 14..24: value = mantissa * 2^(exponent-150)
            int half = mantissa >>> shift;
            int rest = mantissa & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        // normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits
        int rebased = abs - (112 << 23);
        int half = rebased >>> 13;
        int rest = rebased & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half++;                                    // a carry into the exponent is the correct result
        }
        return (short) (sign | half);
    }

    /** bfloat16 bits to float: the high half of a float. */
    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }

    /** float to bfloat16 bits, round to nearest even. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x40);     // quiet NaN
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
