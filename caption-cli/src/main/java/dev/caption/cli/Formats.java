package dev.caption.cli;

import java.util.Locale;

import dev.caption.core.message.RunMetrics;

/** How numbers are printed across commands. */
public final class Formats {

    private Formats() {
    }

    /** {@code 0.9123 ± 0.0042}, or the mean alone when there is no interval (fewer than two values). */
    public static String meanCi(RunMetrics.Moments m) {
        Double ci = m.ci95();
        return ci == null || ci.isNaN() ? String.format(Locale.ROOT, "%.4f", m.mean())
                : String.format(Locale.ROOT, "%.4f ± %.4f", m.mean(), ci);
    }
}
