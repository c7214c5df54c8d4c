package dev.caption.eval;

import java.util.List;

import dev.caption.nn.bert.Prf;

/** Scores many captions in one model call; the topology's only view of the model (tests pass a fake). */
public interface BatchScorer {

    /** One result per candidate (precision, recall and F, each the max over the candidate's references), in order; each candidate has one or more references. */
    List<Prf> score(List<String> candidates, List<List<String>> references);

    /** What scored: model, layer and options, e.g. {@code roberta-large_L17_no-idf_rescaled}. */
    String id();
}
