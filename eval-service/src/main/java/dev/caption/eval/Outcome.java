package dev.caption.eval;

import dev.caption.core.message.DeadLetter;
import dev.caption.core.message.Score;

/** What the scoring processors emit: a score, or a record for the dead-letter topic (reason in its headers). */
sealed interface Outcome {

    record Scored(Score score) implements Outcome {
    }

    /** The dead letter: the original bytes, why, and where from (its headers are on the forwarded record). */
    record Dead(DeadLetter letter) implements Outcome {
    }
}
