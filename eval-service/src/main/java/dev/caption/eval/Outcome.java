package dev.caption.eval;

import dev.caption.core.message.DeadLetter;
import dev.caption.core.message.Score;

/** What the scoring processors emit: a score, or a record for the dead-letter topic (reason in its headers). */
sealed interface Outcome {

    record Scored(Score score) implements Outcome {
    }

    /** {@code value}: the dead-letter record's value (the original bytes); {@code letter}: why, and where from. */
    record Dead(byte[] value, DeadLetter letter) implements Outcome {
    }
}
