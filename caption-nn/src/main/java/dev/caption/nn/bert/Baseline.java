package dev.caption.nn.bert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * BERTScore rescaling baseline b for P, R and F: {@code x' = (x - b) / (1 - b)}, applied after the max over
 * references, as bert_score's {@code rescale_with_baseline}.
 */
public record Baseline(double p, double r, double f) {

    /** bert_score's rescale_baseline/en values that ship with it, by model id and layer. */
    private static final Map<String, Baseline> BUILT_IN = Map.of(
            "roberta-large@17", new Baseline(0.83150584, 0.8314941, 0.83122575));

    /** The built-in baseline for {@code modelId} at {@code layer}, or an error naming what to pass instead. */
    public static Baseline builtIn(String modelId, int layer) {
        String id = modelId.startsWith("FacebookAI/") ? modelId.substring("FacebookAI/".length()) : modelId;
        Baseline b = BUILT_IN.get(id + "@" + layer);
        if (b == null) {
            throw new IllegalArgumentException("no built-in rescale baseline for " + modelId + " at layer " + layer
                    + " (only roberta-large at 17); pass a baseline file in bert_score's format with --baseline");
        }
        return b;
    }

    /**
     * Reads bert_score's baseline format: comma-separated, a header ({@code LAYER,P,R,F}), one row per layer from 0
     * (the embeddings); bert_score takes the row at position {@code layer} ({@code pd.read_csv(path).iloc[layer]}).
     */
    public static Baseline read(Path file, int layer) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("baseline file not found: " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read baseline file " + file + ": " + e.getMessage(), e);
        }
        if (lines.size() < 2 || !lines.get(0).replace(" ", "").equalsIgnoreCase("LAYER,P,R,F")) {
            throw new IllegalArgumentException(file + " is not a bert_score baseline file (header LAYER,P,R,F)");
        }
        if (layer < 0 || layer + 1 >= lines.size()) {
            throw new IllegalArgumentException(file + " has baselines for layers 0.." + (lines.size() - 2)
                    + ", not for layer " + layer);
        }
        String[] cells = lines.get(layer + 1).split(",");
        try {
            return new Baseline(Double.parseDouble(cells[1].trim()), Double.parseDouble(cells[2].trim()),
                    Double.parseDouble(cells[3].trim()));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + " line " + (layer + 2) + " is not LAYER,P,R,F numbers: "
                    + lines.get(layer + 1));
        }
    }

    Prf rescale(Prf x) {
        return new Prf((x.p() - p) / (1 - p), (x.r() - r) / (1 - r), (x.f() - f) / (1 - f));
    }
}
