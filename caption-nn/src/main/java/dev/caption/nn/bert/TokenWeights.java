package dev.caption.nn.bert;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Per-token-id weights for BERTScore's weighted means: uniform or idf, with the special tokens at 0. */
public final class TokenWeights {

    private final Map<Long, Double> weights;
    private final double unseen;

    private TokenWeights(Map<Long, Double> weights, double unseen) {
        this.weights = weights;
        this.unseen = unseen;
    }

    static TokenWeights uniform(long cls, long sep) {
        return new TokenWeights(Map.of(cls, 0.0, sep, 0.0), 1.0);
    }

    /** bert_score's get_idf_dict: document frequency over the sets of ids of each reference. */
    static TokenWeights idf(List<long[]> references, long cls, long sep) {
        Map<Long, Integer> df = new HashMap<>();
        for (long[] ids : references) {
            Set<Long> distinct = new HashSet<>();
            for (long id : ids) {
                distinct.add(id);
            }
            distinct.forEach(id -> df.merge(id, 1, Integer::sum));
        }
        int n = references.size();
        Map<Long, Double> w = new HashMap<>();
        df.forEach((id, count) -> w.put(id, Math.log((n + 1.0) / (count + 1.0))));
        w.put(cls, 0.0);
        w.put(sep, 0.0);
        return new TokenWeights(w, Math.log(n + 1.0));
    }

    public double weight(long id) {
        return weights.getOrDefault(id, unseen);
    }

    /** The weight of ids that appear in no reference: ln(N+1) for idf, 1 for uniform. */
    public double unseen() {
        return unseen;
    }
}
