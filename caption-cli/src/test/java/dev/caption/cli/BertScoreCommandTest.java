package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.caption.core.message.Json;

/** `caption bertscore` reproduces bert_score's P/R/F of the fixture cases, from .txt and .jsonl candidates. */
class BertScoreCommandTest {

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");
    private static JsonNode expected;

    @TempDir
    static Path tmp;
    private static Path candidatesJsonl;
    private static Path references;

    @BeforeAll
    static void writeInputs() throws Exception {
        expected = Json.MAPPER.readTree(FIXTURES.resolve("bertscore.expected.json").toFile());
        List<String> cands = new ArrayList<>();
        List<String> refs = new ArrayList<>();
        for (JsonNode c : expected.get("cases")) {
            cands.add(Json.MAPPER.writeValueAsString(c.get("candidate").asText()));
            refs.add(Json.MAPPER.writeValueAsString(c.get("references")));
        }
        candidatesJsonl = tmp.resolve("cands.jsonl");
        references = tmp.resolve("refs.jsonl");
        Files.write(candidatesJsonl, cands);
        Files.write(references, refs);
    }

    @Test
    void jsonlCandidatesWithIdfAndBaselineMatchBertScore() {
        CliRun run = CliRun.of("bertscore", "--model", FIXTURES.resolve("roberta-tiny").toString(), "--layer", "3",
                "--idf", "--baseline", FIXTURES.resolve("bertscore-baselines/roberta-tiny.tsv").toString(),
                "--candidates", candidatesJsonl.toString(), "--references", references.toString(), "--json");
        assertEquals(0, run.status(), run.err());
        List<JsonNode> lines = run.jsonLines();
        JsonNode want = expected.get("models").get("roberta-tiny").get("settings").get("idf_true_rescale");
        assertEquals(9, lines.size());
        double meanF = 0;
        for (int i = 0; i < 8; i++) {
            for (String k : List.of("P", "R", "F")) {
                assertEquals(want.get(k).get(i).asDouble(), lines.get(i).get(k).asDouble(), 1e-5, "candidate " + i + " " + k);
            }
            meanF += want.get("F").get(i).asDouble() / 8;
        }
        assertEquals(8, lines.get(8).get("count").asInt());
        assertEquals(meanF, lines.get(8).get("mean").get("F").asDouble(), 1e-5);
    }

    @Test
    void textCandidatesPrintPrfLinesThenTheMeans() throws Exception {
        // one line per candidate: the .txt form cannot hold the case whose candidate ends in a newline, so drop it
        List<String> cands = new ArrayList<>();
        List<String> refs = new ArrayList<>();
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String c = expected.get("cases").get(i).get("candidate").asText();
            if (!c.contains("\n")) {
                cands.add(c);
                refs.add(Json.MAPPER.writeValueAsString(expected.get("cases").get(i).get("references")));
                kept.add(i);
            }
        }
        Path txt = tmp.resolve("cands.txt");
        Path refFile = tmp.resolve("refs-kept.jsonl");
        Files.write(txt, cands);
        Files.write(refFile, refs);
        CliRun run = CliRun.of("bertscore", "--model", FIXTURES.resolve("bert-tiny-uncased").toString(),
                "--candidates", txt.toString(), "--references", refFile.toString(), "--layer", "2");
        assertEquals(0, run.status(), run.err());
        List<String> lines = run.out().lines().toList();
        assertEquals(kept.size() + 1, lines.size());
        JsonNode want = expected.get("models").get("bert-tiny-uncased").get("settings").get("idf_false");
        for (int j = 0; j < kept.size(); j++) {
            String[] prf = lines.get(j).split(" ");
            assertEquals(want.get("F").get(kept.get(j)).asDouble(), Double.parseDouble(prf[2]), 1e-5);
        }
        assertTrue(lines.get(kept.size()).startsWith("mean "), lines.get(kept.size()));
    }

    @Test
    void mismatchedCountsMalformedLinesAndMissingFilesFailInOneLine() throws Exception {
        Path twoRefs = tmp.resolve("two.jsonl");
        Files.write(twoRefs, List.of("[\"a\"]", "[\"b\"]"));
        Path badRefs = tmp.resolve("bad.jsonl");
        Files.write(badRefs, List.of("[\"a\"]", "{oops"));
        Path oneCand = tmp.resolve("one.txt");
        Files.write(oneCand, List.of("a dog"));
        String model = FIXTURES.resolve("bert-tiny-uncased").toString();

        CliRun count = CliRun.of("bertscore", "--model", model, "--layer", "2", "--candidates", oneCand.toString(),
                "--references", twoRefs.toString());
        assertEquals(1, count.status());
        assertTrue(count.err().contains("has 1 candidates but") && count.err().contains("has 2 reference lists"), count.err());

        CliRun malformed = CliRun.of("bertscore", "--model", model, "--layer", "2", "--candidates", oneCand.toString(),
                "--references", badRefs.toString());
        assertEquals(1, malformed.status());
        assertTrue(malformed.err().contains("bad.jsonl line 2 is not valid JSON"), malformed.err());
        assertEquals(1, malformed.err().lines().count(), malformed.err());

        CliRun missing = CliRun.of("bertscore", "--model", model, "--layer", "2", "--candidates",
                tmp.resolve("nope.txt").toString(), "--references", twoRefs.toString());
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("file not found: ") && missing.err().contains("nope.txt"), missing.err());

        CliRun noLayer = CliRun.of("bertscore", "--model", model, "--candidates", oneCand.toString(),
                "--references", tmp.resolve("one-ref.jsonl").toString());
        assertEquals(1, noLayer.status());
    }
}
