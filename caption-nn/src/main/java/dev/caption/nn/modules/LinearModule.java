package dev.caption.nn.modules;

import ai.djl.ndarray.NDArray;

/**
 * nn.Linear's forward pass, {@code y = x Wᵀ (+ b)}, whatever holds the weight: a libtorch tensor ({@link LinearW},
 * which autograd can go through) or panels for the CPU kernel ({@link PanelLinear}, inference only).
 */
public sealed interface LinearModule permits LinearW, PanelLinear {

    /** x [..., in] -> [..., out]. */
    NDArray forward(NDArray x);
}
