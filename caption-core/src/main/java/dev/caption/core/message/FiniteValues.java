package dev.caption.core.message;

/**
 * Refuses NaN and infinities in tensors that cross the wire. A model fed one gives NaN everywhere after it (one NaN
 * feature makes a whole prefix NaN), so such a tensor is a dead letter that says where and how many, never an input
 * or an output.
 */
public final class FiniteValues {

    private FiniteValues() {
    }

    /** Throws a {@link MalformedMessageException} naming {@code what} and the count of NaN and infinite values. */
    public static void check(String what, float[] values) {
        int nan = 0;
        int inf = 0;
        for (float v : values) {
            if (Float.isNaN(v)) {
                nan++;
            } else if (Float.isInfinite(v)) {
                inf++;
            }
        }
        if (nan + inf > 0) {
            throw new MalformedMessageException(what + " holds " + nan + " NaN and " + inf + " infinite values (of "
                    + values.length + ")");
        }
    }
}
