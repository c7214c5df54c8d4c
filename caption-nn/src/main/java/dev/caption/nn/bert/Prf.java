package dev.caption.nn.bert;

import java.util.Locale;

/** BERTScore precision, recall and F of one candidate (the max of each over its references). */
public record Prf(double p, double r, double f) {

    public String format() {
        return String.format(Locale.ROOT, "%.6f %.6f %.6f", p, r, f);
    }
}
