package dev.caption.eval;

import dev.caption.core.message.Score;

/** What the scoring processors emit: a score, or a record for the dead-letter topic (reason in its headers). */
sealed interface Outcome {

    record Scored(Score score) implements Outcome {
    }

    record Dead(byte[] value) implements Outcome {
    }
}
