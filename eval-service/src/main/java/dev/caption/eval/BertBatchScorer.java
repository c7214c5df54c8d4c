package dev.caption.eval;

import java.util.List;
import java.util.Optional;

import dev.caption.nn.bert.Baseline;
import dev.caption.nn.bert.BertScorer;

/**
 * The real scorer: BERTScore with uniform weights (idf needs the whole reference corpus up front, which a stream
 * does not have; {@code caption bertscore --idf} does it offline) and an optional baseline.
 */
final class BertBatchScorer implements BatchScorer {

    private final BertScorer scorer;
    private final Optional<Baseline> baseline;
    private final String id;

    BertBatchScorer(BertScorer scorer, Optional<Baseline> baseline) {
        this.scorer = scorer;
        this.baseline = baseline;
        this.id = scorer.id(false, baseline.isPresent());
    }

    @Override
    public List<Prf> score(List<String> candidates, List<List<String>> references) {
        return scorer.score(candidates, references, scorer.uniform(), baseline).stream()
                .map(s -> new Prf(s.p(), s.r(), s.f())).toList();
    }

    @Override
    public String id() {
        return id;
    }
}
