package dev.caption.eval;

import java.time.Duration;
import java.util.List;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;

import dev.caption.nn.bert.BertScorer;
import dev.caption.service.BatchMeters;
import dev.caption.nn.bert.Prf;

/**
 * The real scorer: BERTScore with uniform weights (idf needs the whole reference corpus up front, which a stream
 * does not have; {@code caption bertscore --idf} does it offline), rescaled when the scorer's spec asks for it.
 * Each call is metered as the other stages' batches are ({@code caption.batch.size}, {@code caption.batch.process},
 * stage {@code eval}), and one that takes over half the transaction timeout is logged: the next may outlast it.
 */
final class BertBatchScorer implements BatchScorer {

    private static final Logger LOG = Logger.getLogger(BertBatchScorer.class);

    private final BertScorer scorer;
    private final BatchMeters meters;
    private final Duration transactionTimeout;

    BertBatchScorer(BertScorer scorer, MeterRegistry registry, Duration transactionTimeout) {
        this.scorer = scorer;
        this.meters = new BatchMeters(registry, EvalTopology.STAGE);
        this.transactionTimeout = transactionTimeout;
    }

    @Override
    public List<Prf> score(List<String> candidates, List<List<String>> references) {
        long t0 = System.nanoTime();
        List<Prf> out = scorer.score(candidates, references, scorer.uniform());
        long nanos = System.nanoTime() - t0;
        meters.record(candidates.size(), nanos);
        if (nanos > transactionTimeout.toNanos() / 2) {
            LOG.warnf("scoring %d captions took %.1f s, over half of caption.eval.transaction-timeout (%s): lower "
                    + "caption.eval.max-batch or raise the timeout, or a slower batch will be aborted and scored again",
                    candidates.size(), nanos / 1e9, transactionTimeout);
        }
        return out;
    }

    @Override
    public String id() {
        return scorer.id(false);
    }
}
