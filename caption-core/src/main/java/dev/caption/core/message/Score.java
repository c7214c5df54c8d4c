package dev.caption.core.message;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The BERTScore of one caption against its references, on {@code caption.scores}.
 *
 * @param precision  BERTScore P (max over references)
 * @param recall     BERTScore R
 * @param f1         BERTScore F
 * @param scorer     the scoring model, layer and options (bert_score's hash string style)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Score(String id, String run, String model, String adapter, String scorer,
                    @JsonProperty("P") double precision, @JsonProperty("R") double recall,
                    @JsonProperty("F") double f1, String caption, List<String> references) {

    public static final JsonMessageCodec<Score> CODEC = new JsonMessageCodec<>(Score.class, Score::id);

    public Score {
        Messages.requireId(id, "Score");
        Messages.require(caption != null, "Score '" + id + "' has no caption");
        references = references == null ? List.of() : List.copyOf(references);
    }
}
