package dev.caption.core.message;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Running BERTScore aggregates of one (run, adapter, model), on the compacted {@code caption.metrics} topic keyed by
 * {@link #key()}: the count and, for P, R and F, the mean with a 95% confidence interval.
 *
 * @param updatedAt epoch ms of the last score counted
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunMetrics(String run, String adapter, String model, String scorer, long count,
                         @JsonProperty("P") Moments precision, @JsonProperty("R") Moments recall,
                         @JsonProperty("F") Moments f1, long updatedAt) {

    public static final JsonMessageCodec<RunMetrics> CODEC = new JsonMessageCodec<>(RunMetrics.class, RunMetrics::key);

    /** The aggregation key of a score: run, adapter and model, '|'-separated (absent parts are empty). */
    public static String keyOf(Score s) {
        return key(s.run(), s.adapter(), s.model());
    }

    public static String key(String run, String adapter, String model) {
        return orEmpty(run) + "|" + orEmpty(adapter) + "|" + orEmpty(model);
    }

    public String key() {
        return key(run, adapter, model);
    }

    /** Nothing counted yet (an aggregation's initial value: the first score names the run). */
    public static final RunMetrics NONE = new RunMetrics(null, null, null, null, 0, Moments.EMPTY, Moments.EMPTY,
            Moments.EMPTY, 0);

    /** These aggregates with {@code s} counted, at epoch ms {@code at}; {@code s} belongs to this run. */
    public RunMetrics plus(Score s, long at) {
        return new RunMetrics(s.run(), s.adapter(), s.model(), s.scorer(), count + 1, precision.plus(s.precision()),
                recall.plus(s.recall()), f1.plus(s.f1()), at);
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /**
     * Count, mean and sum of squared deviations (Welford's running update, stable for long runs). The 95% interval
     * is the mean ± t(0.975, n-1) · s / √n.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Moments(long n, double mean, double m2) {

        public static final Moments EMPTY = new Moments(0, 0, 0);

        public Moments plus(double x) {
            long n1 = n + 1;
            double delta = x - mean;
            double mean1 = mean + delta / n1;
            return new Moments(n1, mean1, m2 + delta * (x - mean1));
        }

        /** In JSON: the half-width of the 95% interval, or {@code null} below two values (JSON has no NaN). */
        @JsonProperty("ci95")
        public Double ci95OrNull() {
            double c = ci95();
            return Double.isNaN(c) ? null : c;
        }

        /** Half-width of the 95% confidence interval; NaN below two values. */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public double ci95() {
            if (n < 2) {
                return Double.NaN;
            }
            double sd = Math.sqrt(m2 / (n - 1));
            return studentT975(n - 1) * sd / Math.sqrt(n);
        }

        /**
         * The 0.975 quantile of Student's t with {@code df} degrees of freedom: exact table values up to 30, then the
         * Cornish-Fisher expansion around z = 1.959964 (error below 1e-4 from there on).
         */
        static double studentT975(long df) {
            double[] table = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
                2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
                2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
            if (df <= table.length) {
                return table[(int) df - 1];
            }
            double z = 1.959963984540054;
            double z3 = z * z * z;
            double z5 = z3 * z * z;
            double v = df;
            return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v);
        }
    }
}
