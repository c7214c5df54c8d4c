package dev.caption.cli.models;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import dev.caption.core.message.Json;
import dev.caption.nn.bert.Baseline;
import dev.caption.nn.bert.BertScorer;
import dev.caption.nn.bert.TokenWeights;
import dev.caption.nn.hub.HubEnvironment;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import dev.caption.nn.bert.Prf;
import dev.caption.cli.DownloadProgress;
import dev.caption.cli.Progress;
import dev.caption.cli.CaptionCommand;

@Command(name = "bertscore", mixinStandardHelpOptions = true,
        description = {"BERTScore of candidates against references, as bert_score 0.3.13 computes it.",
            "Prints 'P R F' (or a JSON object) per candidate, then a line with the means."})
public final class BertScoreCommand extends CaptionCommand {

    @Mixin
    BertScoreOptions scoring;

    @Option(names = "--idf", description = "Weight tokens by idf over the references.")
    boolean idf;

    @Option(names = "--candidates", required = true, paramLabel = "CANDS.txt|CANDS.jsonl",
            description = "One candidate per line, or in .jsonl one JSON string per line.")
    Path candidates;

    @Option(names = "--references", required = true, paramLabel = "REFS.jsonl",
            description = "One JSON array of reference strings per line, in the candidates' order.")
    Path references;

    @Option(names = "--json", description = "Print {\"P\",\"R\",\"F\"} objects instead of 'P R F'.")
    boolean json;

    /** Candidates scored per progress step; idf is computed over all references first, so chunks score alike. */
    private static final int CHUNK = 256;

    @Override
    public Integer call() throws IOException {
        List<String> cands = readCandidates(candidates);
        List<List<String>> refs = readReferences(references);
        if (cands.size() != refs.size()) {
            throw new IllegalArgumentException(candidates + " has " + cands.size() + " candidates but " + references
                    + " has " + refs.size() + " reference lists");
        }
        try (BertScorer scorer = scoring.open(err())) {
            TokenWeights weights = idf ? scorer.idf(refs) : scorer.uniform();
            List<Prf> scores = new ArrayList<>(cands.size());
            try (ProgressBar bar = Progress.bar("bertscore", cands.size())) {
                for (int start = 0; start < cands.size(); start += CHUNK) {
                    int end = Math.min(cands.size(), start + CHUNK);
                    scores.addAll(scorer.score(cands.subList(start, end), refs.subList(start, end), weights));
                    if (bar != null) {
                        bar.stepTo(end);
                    }
                }
            }
            double p = 0;
            double r = 0;
            double f = 0;
            for (Prf s : scores) {
                out().println(json ? Json.writeString(prf(s.p(), s.r(), s.f())) : s.format());
                p += s.p();
                r += s.r();
                f += s.f();
            }
            int n = Math.max(1, scores.size());
            if (json) {
                Map<String, Object> mean = new LinkedHashMap<>();
                mean.put("mean", prf(p / n, r / n, f / n));
                mean.put("count", scores.size());
                out().println(Json.writeString(mean));
            } else {
                out().println(String.format(Locale.ROOT, "mean %.6f %.6f %.6f (%d candidates)", p / n, r / n, f / n,
                        scores.size()));
            }
        }
        return 0;
    }

    private static Map<String, Object> prf(double p, double r, double f) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("P", p);
        o.put("R", r);
        o.put("F", f);
        return o;
    }

    /** Text: a line per candidate (a final newline ends the last one). JSONL: a JSON string per line. */
    static List<String> readCandidates(Path file) throws IOException {
        List<String> lines = lines(file);
        if (!file.getFileName().toString().endsWith(".jsonl")) {
            return lines;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode node = parseLine(file, i, lines.get(i));
            if (!node.isTextual()) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + " is not a JSON string");
            }
            out.add(node.asText());
        }
        return out;
    }

    /** A JSON array of at least one string per line. */
    static List<List<String>> readReferences(Path file) throws IOException {
        List<String> lines = lines(file);
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode node = parseLine(file, i, lines.get(i));
            if (!node.isArray() || node.isEmpty()) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + " is not a non-empty JSON array of strings");
            }
            List<String> refs = new ArrayList<>();
            for (JsonNode r : node) {
                if (!r.isTextual()) {
                    throw new IllegalArgumentException(file + " line " + (i + 1) + " holds a non-string reference: " + r);
                }
                refs.add(r.asText());
            }
            out.add(refs);
        }
        return out;
    }

    private static JsonNode parseLine(Path file, int index, String line) {
        try {
            return Json.MAPPER.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + " line " + (index + 1) + " is not valid JSON: "
                    + e.getOriginalMessage());
        }
    }

    private static List<String> lines(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("file not found: " + file);
        }
        List<String> lines = new ArrayList<>(List.of(text.split("\r?\n", -1)));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }
}
