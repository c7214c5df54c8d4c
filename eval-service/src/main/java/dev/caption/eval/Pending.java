package dev.caption.eval;

import java.util.List;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import dev.caption.core.message.Caption;
import dev.caption.core.message.Json;

/**
 * A caption waiting in a state store: for its references ({@code references} empty) or for a scoring batch, which
 * it joined at {@code since} (wall-clock ms; 0 when it waits for references, or was stored before this field was).
 */
record Pending(Caption caption, List<String> references, long since) {

    Pending {
        references = references == null ? List.of() : List.copyOf(references);
    }

    /** A caption whose references have not arrived. */
    static Pending forReferences(Caption caption) {
        return new Pending(caption, List.of(), 0);
    }

    /** A caption with its references, in the scoring batch from {@code now}. */
    static Pending forScoring(Caption caption, List<String> references, long now) {
        return new Pending(caption, references, now);
    }

    static final Serde<Pending> SERDE = Serdes.serdeFrom(
            (topic, p) -> p == null ? null : Json.write(p),
            (topic, bytes) -> bytes == null ? null : Json.read(bytes, Pending.class));
}
