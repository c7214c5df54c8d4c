package dev.caption.eval;

import java.util.List;

/** Scores many captions in one model call; the topology's only view of the model (tests pass a fake). */
public interface BatchScorer {

    /** Precision, recall and F of one caption, max over its references. */
    record Prf(double p, double r, double f) {
    }

    /** One result per candidate, in order; each candidate has one or more references. */
    List<Prf> score(List<String> candidates, List<List<String>> references);

    /** What scored: model, layer and options, e.g. {@code roberta-large_L17_no-idf_rescaled}. */
    String id();
}
