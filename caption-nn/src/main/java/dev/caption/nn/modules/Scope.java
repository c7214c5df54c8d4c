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

    /**
     * Runs one layer in a scope of its own: its temporaries are freed as it returns, and only its output joins
     * {@code x}'s manager. Without this, a forward pass holds every layer's temporaries until the caller's scope
     * closes: gigabytes for a batch through a deep model. Autograd keeps what backward needs by itself.
     */
    public static NDArray layer(NDArray x, java.util.function.UnaryOperator<NDArray> body) {
        NDManager outer = x.getManager();
        try (NDManager own = outer.newSubManager()) {
            x.tempAttach(own);                  // ops on x now land in own; x goes back to outer when own closes
            NDArray out = body.apply(x);
            out.attach(outer);
            return out;
        }
    }

    /** {@code a}, now owned by {@code scope}. */
    public static NDArray into(NDManager scope, NDArray a) {
        a.attach(scope);
        return a;
    }
}
