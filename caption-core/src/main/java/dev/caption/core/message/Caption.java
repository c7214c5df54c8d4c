package dev.caption.core.message;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A generated caption, on {@code caption.captions}.
 *
 * @param id         the image id (= record key)
 * @param text       the caption
 * @param tokenCount number of generated tokens
 * @param model      LLM model id (a hub id or a directory)
 * @param revision   LLM revision (commit hash where known)
 * @param adapter    adapter id
 * @param run        optional run name, for evaluation runs and replays
 * @param timings    per-stage emit times in epoch ms, carried over from the headers (stage to time)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Caption(String id, String text, int tokenCount, String model, String revision, String adapter,
                      String run, Map<String, Long> timings) {

    public static final JsonMessageCodec<Caption> CODEC = new JsonMessageCodec<>(Caption.class, Caption::id);

    public Caption {
        Messages.requireId(id, "Caption");
        Messages.require(text != null, "Caption '" + id + "' has no text");
        Messages.require(tokenCount >= 0, "Caption '" + id + "' has a negative tokenCount");
        timings = timings == null ? Map.of() : Map.copyOf(timings);
    }

    /** A caption of image {@code id}; the optional fields are named, and those not set stay absent. */
    public static Builder builder(String id, String text) {
        return new Builder(id, text);
    }

    /** Builds a {@link Caption} with named fields. */
    public static final class Builder {
        private final String id;
        private final String text;
        private int tokenCount;
        private String model;
        private String revision;
        private String adapter;
        private String run;
        private Map<String, Long> timings = Map.of();

        private Builder(String id, String text) {
            this.id = id;
            this.text = text;
        }

        public Builder tokenCount(int v) { tokenCount = v; return this; }
        public Builder model(String v) { model = v; return this; }
        public Builder revision(String v) { revision = v; return this; }
        public Builder adapter(String v) { adapter = v; return this; }
        public Builder run(String v) { run = v; return this; }
        public Builder timings(Map<String, Long> v) { timings = v; return this; }

        public Caption build() {
            return new Caption(id, text, tokenCount, model, revision, adapter, run, timings);
        }
    }
}
