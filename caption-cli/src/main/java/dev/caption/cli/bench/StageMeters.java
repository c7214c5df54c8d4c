package dev.caption.cli.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One stage's batch meters as its service reports them on {@code /q/metrics} ({@code caption.batch.size},
 * {@code caption.batch.process}): batches, records and the seconds spent processing them.
 */
record StageMeters(long batches, long records, double processSeconds) {

    static final StageMeters NONE = new StageMeters(0, 0, 0);

    /** The stage's meters in a Prometheus text page; {@link #NONE} where it has none yet. */
    static StageMeters parse(String prometheus, String stage) {
        return new StageMeters((long) value(prometheus, "caption_batch_size_count", stage),
                (long) value(prometheus, "caption_batch_size_sum", stage),
                value(prometheus, "caption_batch_process_seconds_sum", stage));
    }

    /** What happened between {@code before} and this reading. */
    StageMeters since(StageMeters before) {
        return new StageMeters(batches - before.batches, records - before.records, processSeconds - before.processSeconds);
    }

    private static double value(String prometheus, String name, String stage) {
        // e.g. caption_batch_size_count{stage="llm"} 2.0 (other tags may come before or after)
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*stage=\"" + Pattern.quote(stage) + "\"[^}]*} (\\S+)$")
                .matcher(prometheus);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
