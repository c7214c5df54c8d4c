package dev.caption.service;

import java.util.Locale;

import dev.caption.tensor.DType;

/** The tensor dtype a stage writes on the wire, from its {@code wire-dtype} property. */
public final class WireDtype {

    private WireDtype() {
    }

    /** f16/float16 or f32/float32; anything else is an error naming the property. */
    public static DType parse(String property, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "f16", "float16" -> DType.F16;
            case "f32", "float32" -> DType.F32;
            default -> throw new IllegalArgumentException(property + " must be f16 or f32, got " + value);
        };
    }
}
