package dev.caption.eval;

import java.util.List;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import dev.caption.core.message.Caption;
import dev.caption.core.message.Json;

/** A caption waiting in a state store: for its references ({@code references} empty) or for a scoring batch. */
record Pending(Caption caption, List<String> references) {

    Pending {
        references = references == null ? List.of() : List.copyOf(references);
    }

    static final Serde<Pending> SERDE = Serdes.serdeFrom(
            (topic, p) -> p == null ? null : Json.write(p),
            (topic, bytes) -> bytes == null ? null : Json.read(bytes, Pending.class));
}
