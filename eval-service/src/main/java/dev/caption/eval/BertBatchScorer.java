package dev.caption.eval;

import java.util.List;

import dev.caption.nn.bert.BertScorer;
import dev.caption.nn.bert.Prf;

/**
 * The real scorer: BERTScore with uniform weights (idf needs the whole reference corpus up front, which a stream
 * does not have; {@code caption bertscore --idf} does it offline), rescaled when the scorer's spec asks for it.
 */
final class BertBatchScorer implements BatchScorer {

    private final BertScorer scorer;

    BertBatchScorer(BertScorer scorer) {
        this.scorer = scorer;
    }

    @Override
    public List<Prf> score(List<String> candidates, List<List<String>> references) {
        return scorer.score(candidates, references, scorer.uniform());
    }

    @Override
    public String id() {
        return scorer.id(false);
    }
}
