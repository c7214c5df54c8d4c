package dev.caption.core.kafka;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Every topic of the pipeline. The names here are the only place topic names are spelled; {@link Topics} adds the
 * deployment's prefix and partition count.
 */
public enum Topic {
    IMAGES("caption.images", false),
    /** Audio clips (WAV and the like), raw bytes with a content type; an audio encoder turns them into FEATURES. */
    AUDIO("caption.audio", false),
    FEATURES("caption.features", false),
    PREFIXES("caption.prefixes", false),
    CAPTIONS("caption.captions", false),
    /** Compacted: the latest reference list per image id. Co-partitioned with CAPTIONS for the join. */
    REFERENCES("caption.references", true),
    SCORES("caption.scores", false),
    /** Running evaluation aggregates per (model, adapter, run); compacted, latest wins. */
    METRICS("caption.metrics", true),
    DLQ("caption.dlq", false);

    private final String baseName;
    private final boolean compacted;

    Topic(String baseName, boolean compacted) {
        this.baseName = baseName;
        this.compacted = compacted;
    }

    /** The name without a deployment prefix, e.g. {@code caption.images}. */
    public String baseName() {
        return baseName;
    }

    public boolean compacted() {
        return compacted;
    }

    /** The short name users type ({@code images}, {@code dlq}, ...). */
    public String shortName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a short name or a base name, case-insensitively. */
    public static Topic parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (Topic t : values()) {
            if (t.shortName().equals(n) || t.baseName.equals(n)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown topic '" + name + "' (one of: "
                + Arrays.stream(values()).map(Topic::shortName).collect(Collectors.joining(", ")) + ")");
    }
}
