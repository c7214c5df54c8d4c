package dev.caption.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class Float16Test {

    @Test
    void everyHalfSurvivesARoundTripThroughFloat() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f = Float16.toFloat(h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Float16.toFloat(Float16.fromFloat(f))), "NaN stays NaN: " + bits);
                continue;
            }
            assertEquals(bits, Float16.fromFloat(f) & 0xFFFF, "half 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void knownValuesDecodeExactly() {
        assertEquals(1.0f, Float16.toFloat((short) 0x3C00));
        assertEquals(-2.0f, Float16.toFloat((short) 0xC000));
        assertEquals(65504f, Float16.toFloat((short) 0x7BFF));
        assertEquals(0x1.0p-24f, Float16.toFloat((short) 0x0001));       // smallest subnormal
        assertEquals(0x1.0p-14f, Float16.toFloat((short) 0x0400));       // smallest normal
        assertEquals(Float.POSITIVE_INFINITY, Float16.toFloat((short) 0x7C00));
    }

    @Test
    void floatsRoundToTheNearestHalfWithTiesToEven() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat(random.nextInt());
            if (Float.isNaN(f) || Math.abs(f) > 65504f) {
                continue;
            }
            assertNearestEven(f);
        }
        // exact midpoints between neighbours, including the subnormal range and the top of the range
        for (int bits = 0; bits < 0x7BFF; bits += 7) {
            float lo = Float16.toFloat((short) bits);
            float hi = Float16.toFloat((short) (bits + 1));
            float mid = (lo + hi) / 2;   // exact in float: halves have 11 significant bits
            int expected = (bits & 1) == 0 ? bits : bits + 1;
            assertEquals(expected, Float16.fromFloat(mid) & 0xFFFF, "midpoint above 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void overflowAndUnderflowFollowIeeeRounding() {
        assertEquals(0x7BFF, Float16.fromFloat(65519.99f) & 0xFFFF);
        assertEquals(0x7C00, Float16.fromFloat(65520f) & 0xFFFF);
        assertEquals(0xFC00, Float16.fromFloat(-1e9f) & 0xFFFF);
        assertEquals(0x0000, Float16.fromFloat(0x1.0p-25f) & 0xFFFF);   // tie between 0 and the smallest: even
        assertEquals(0x0001, Float16.fromFloat(0x1.0p-25f * 1.0001f) & 0xFFFF);
        assertEquals(0x8000, Float16.fromFloat(-0f) & 0xFFFF);
    }

    @Test
    void bfloat16KeepsTheHighBitsAndRoundsToNearestEven() {
        assertEquals(1.0f, Float16.bf16ToFloat(Float16.floatToBf16(1.0f)));
        // 1 + 2^-8 is the midpoint between 1 and 1 + 2^-7: ties to even, down to 1
        assertEquals(1.0f, Float16.bf16ToFloat(Float16.floatToBf16(1.0f + 0x1.0p-8f)));
        assertEquals(1.0f + 0x1.0p-7f, Float16.bf16ToFloat(Float16.floatToBf16(1.0f + 0x1.0p-8f + 0x1.0p-20f)));
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 100_000; i++) {
            float f = (float) random.nextGaussian();
            float back = Float16.bf16ToFloat(Float16.floatToBf16(f));
            assertTrue(Math.abs(back - f) <= Math.ulp(f) * 32768, f + " -> " + back);   // half a bf16 step = 2^15 float ulps
        }
    }

    private static void assertNearestEven(float f) {
        short h = Float16.fromFloat(f);
        float got = Float16.toFloat(h);
        int bits = h & 0x7FFF;
        float below = bits == 0 ? -Float16.toFloat((short) 1) : Float16.toFloat((short) ((h & 0x8000) | (bits - 1)));
        float above = Float16.toFloat((short) ((h & 0x8000) | (bits + 1)));
        double err = Math.abs((double) got - f);
        assertTrue(err <= Math.abs((double) below - f) && err <= Math.abs((double) above - f),
                f + " rounded to " + got + " but a neighbour is closer");
    }
}
