package dev.caption.service;

import dev.caption.tensor.DType;

/** The tensor dtype a stage writes on the wire ({@code wire-dtype=f16|f32}; readers accept F16, BF16 and F32). */
public enum WireDtype {
    F16(DType.F16),
    F32(DType.F32);

    private final DType dtype;

    WireDtype(DType dtype) {
        this.dtype = dtype;
    }

    public DType dtype() {
        return dtype;
    }
}
