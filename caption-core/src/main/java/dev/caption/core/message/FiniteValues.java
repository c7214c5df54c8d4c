package dev.caption.core.message;

import dev.caption.tensor.Tensor;

/**
 * Refuses NaN and infinities in tensors that cross the wire. A model fed one gives NaN everywhere after it (one NaN
 * feature makes a whole prefix NaN), so such a tensor is a dead letter that says where and how many, never an input
 * or an output.
 */
public final class FiniteValues {

    private FiniteValues() {
    }

    /** Throws a {@link MalformedMessageException} naming {@code what} and the count of NaN and infinite values. */
    public static void check(String what, Tensor tensor) {
        Tensor.NonFinite bad = tensor.nonFinite();
        if (!bad.none()) {
            throw new MalformedMessageException(what + " holds " + bad.nan() + " NaN and " + bad.infinite()
                    + " infinite values (of " + tensor.elementCount() + ")");
        }
    }
}
