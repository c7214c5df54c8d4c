package dev.caption.nn.modules;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * DJL puts the result of an op in the manager of its first operand. An op on a model weight (an embedding lookup,
 * a slice of a table) would therefore land in the model's manager and live as long as the model: move it to the
 * caller's scope, where the step's other temporaries are freed with it.
 */
public final class Scope {

    private Scope() {
    }

    /** {@code a}, now owned by {@code scope}. */
    public static NDArray into(NDManager scope, NDArray a) {
        a.attach(scope);
        return a;
    }
}
