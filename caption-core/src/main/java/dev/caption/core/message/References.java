package dev.caption.core.message;

import java.util.List;

/**
 * The reference captions of one image, on the compacted {@code caption.references} topic (latest list wins).
 *
 * @param id         the image id (= record key)
 * @param references one or more reference captions
 */
public record References(String id, List<String> references) {

    public static final JsonMessageCodec<References> CODEC =
            new JsonMessageCodec<>(References.class, References::id);

    public References {
        Messages.requireId(id, "References");
        Messages.require(references != null && !references.isEmpty(), "References '" + id + "' lists no captions");
        Messages.require(references.stream().allMatch(r -> r != null),
                "References '" + id + "' contains a null caption");
        references = List.copyOf(references);
    }
}
