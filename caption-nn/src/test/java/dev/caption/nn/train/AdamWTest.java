package dev.caption.nn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDManager;

class AdamWTest {

    @Test
    void theGlobalNormIsExactForOrdinaryGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            double norm = AdamW.globalNorm(List.of(m.create(new float[] {3, 0}), m.create(new float[] {0, -4})));
            assertEquals(5.0, norm, 1e-6);
        }
    }

    @Test
    void gradientsWhoseSquaresOverflowAFloatStillHaveTheirTrueNorm() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 3e20² overflows float32 (max 3.4e38); the norm itself, 5e20, does not
            double norm = AdamW.globalNorm(List.of(m.create(new float[] {3e20f}), m.create(new float[] {4e20f})));
            assertEquals(5e20, norm, 5e20 * 1e-6);
        }
    }

    @Test
    void aNaNOrInfiniteGradientGivesANormThatIsNotFinite() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertTrue(Double.isNaN(AdamW.globalNorm(List.of(m.create(new float[] {1, Float.NaN})))));
            assertTrue(Double.isInfinite(AdamW.globalNorm(List.of(m.create(new float[] {Float.NEGATIVE_INFINITY})))));
            assertEquals(0.0, AdamW.globalNorm(List.of(m.zeros(new ai.djl.ndarray.types.Shape(3)))));
        }
    }

    @Test
    void zeroingAGradientClearsNaNAndInfinitiesToo() {
        try (NDManager m = NDManager.newBaseManager()) {
            ai.djl.ndarray.NDArray g = m.create(new float[] {1, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY});
            AdamW.zero(g);
            org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0, 0, 0, 0}, g.toFloatArray());
        }
    }
}
