package dev.caption.nn.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

/** Parity with bert_score 0.3.13 on the fixtures roberta-tiny (L3) and bert-tiny-uncased (L2). */
class BertScoreParityTest {

    private static final double ATOL = 1e-5;

    private static Path fixtures;
    private static JsonNode expected;
    private static List<String> candidates;
    private static List<List<String>> references;
    private static final Map<String, BertScorer> scorers = new LinkedHashMap<>();

    @BeforeAll
    static void load() throws Exception {
        fixtures = Path.of(BertScoreParityTest.class.getResource("/fixtures/bertscore.expected.json").toURI()).getParent();
        expected = new ObjectMapper().readTree(fixtures.resolve("bertscore.expected.json").toFile());
        candidates = new ArrayList<>();
        references = new ArrayList<>();
        for (JsonNode c : expected.get("cases")) {
            candidates.add(c.get("candidate").asText());
            List<String> refs = new ArrayList<>();
            c.get("references").forEach(r -> refs.add(r.asText()));
            references.add(refs);
        }
        for (String model : List.of("roberta-tiny", "bert-tiny-uncased")) {
            int layers = expected.get("models").get(model).get("num_layers").asInt();
            scorers.put(model, load(fixtures.resolve(model), layers));
        }
    }

    private static BertScorer load(Path dir, int layer) {
        return load(dir, layer, BertScoreSpec.Rescaling.NONE);
    }

    private static BertScorer load(Path dir, int layer, BertScoreSpec.Rescaling rescaling) {
        return BertScoreSpec.builder(dir.toString()).layer(layer).rescaling(rescaling).batchSize(4).build()
                .open(HubEnvironment.fromSystem(), DownloadListener.NONE);
    }

    @AfterAll
    static void close() {
        scorers.values().forEach(BertScorer::close);
    }

    @ParameterizedTest
    @CsvSource({"roberta-tiny", "bert-tiny-uncased"})
    void tokenizesEverySentenceToTheRecordedIds(String model) {
        BertScoreTokenizer tokenizer = scorers.get(model).tokenizer();
        int checked = 0;
        for (JsonNode entry : expected.get("models").get(model).get("token_ids")) {
            long[] want = new ObjectMapper().convertValue(entry.get("ids"), long[].class);
            assertArrayEquals(want, tokenizer.encode(entry.get("text").asText()), entry.get("text").asText());
            checked++;
        }
        assertTrue(checked > 40, "checked " + checked);
    }

    @ParameterizedTest
    @CsvSource({"roberta-tiny", "bert-tiny-uncased"})
    void idfWeightsFollowBertScoresFormula(String model) {
        JsonNode idf = expected.get("models").get(model).get("idf");
        TokenWeights weights = scorers.get(model).idf(references);
        assertEquals(idf.get("default_unseen").asDouble(), weights.unseen(), 1e-12);
        idf.get("weights").fields().forEachRemaining(e ->
                assertEquals(e.getValue().asDouble(), weights.weight(Long.parseLong(e.getKey())), 1e-12, "id " + e.getKey()));
    }

    @ParameterizedTest
    @CsvSource({
            "roberta-tiny, idf_false", "roberta-tiny, idf_true", "roberta-tiny, idf_false_rescale",
            "roberta-tiny, idf_true_rescale", "bert-tiny-uncased, idf_false", "bert-tiny-uncased, idf_true"})
    void scoresMatchBertScore(String model, String setting) {
        BertScorer plain = scorers.get(model);
        JsonNode want = expected.get("models").get(model).get("settings").get(setting);
        try (BertScorer scorer = setting.endsWith("rescale")
                ? load(fixtures.resolve(model), plain.layer(),
                        new BertScoreSpec.Rescaling.File(fixtures.resolve("bertscore-baselines/" + model + ".tsv")))
                : null) {
            BertScorer used = scorer != null ? scorer : plain;
            TokenWeights weights = setting.startsWith("idf_true") ? used.idf(references) : used.uniform();
            List<Prf> got = used.score(candidates, references, weights);
            double maxDiff = 0;
            for (int i = 0; i < candidates.size(); i++) {
                maxDiff = Math.max(maxDiff, assertPrf(want, i, got.get(i), model + "/" + setting + " candidate " + i));
            }
            System.out.printf("bertscore parity %s/%s max|diff| %.2e%n", model, setting, maxDiff);
        }
    }

    @ParameterizedTest
    @CsvSource({"roberta-tiny, idf_false", "roberta-tiny, idf_true", "bert-tiny-uncased, idf_true"})
    void everyCandidateReferencePairMatchesBeforeTheMax(String model, String setting) {
        BertScorer scorer = scorers.get(model);
        JsonNode want = expected.get("models").get(model).get("settings").get(setting).get("per_reference");
        TokenWeights weights = setting.equals("idf_true") ? scorer.idf(references) : scorer.uniform();
        for (int r = 0; r < 5; r++) {
            List<List<String>> single = new ArrayList<>();
            for (List<String> refs : references) {
                single.add(List.of(refs.get(r)));
            }
            List<Prf> got = scorer.score(candidates, single, weights);
            for (int i = 0; i < candidates.size(); i++) {
                String what = model + "/" + setting + " candidate " + i + " reference " + r;
                assertEquals(want.get("P").get(i).get(r).asDouble(), got.get(i).p(), ATOL, what + " P");
                assertEquals(want.get("R").get(i).get(r).asDouble(), got.get(i).r(), ATOL, what + " R");
                assertEquals(want.get("F").get(i).get(r).asDouble(), got.get(i).f(), ATOL, what + " F");
            }
        }
    }

    @Test
    void hubTaskCheckpointWithRobertaPrefixAndLmHeadScoresTheSame(@TempDir Path dir) throws Exception {
        Path src = fixtures.resolve("roberta-tiny");
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        // RobertaForMaskedLM layout, as roberta-large ships: roberta.* (no pooler) plus lm_head.*
        SafetensorsBlob base = Safetensors.decode(Files.readAllBytes(src.resolve("model.safetensors")), 1 << 20);
        Map<String, Tensor> hub = new LinkedHashMap<>();
        base.tensors().forEach((name, t) -> {
            if (!name.startsWith("pooler.")) {
                hub.put("roberta." + name, t);
            }
        });
        hub.put("lm_head.bias", Tensor.ofFloats(dev.caption.tensor.DType.F32, new long[] {50265}, new float[50265]));
        Files.write(dir.resolve("model.safetensors"), Safetensors.encode(hub));
        try (BertScorer prefixed = load(dir, 3)) {
            BertScorer plain = scorers.get("roberta-tiny");
            List<Prf> a = plain.score(candidates, references, plain.uniform());
            List<Prf> b = prefixed.score(candidates, references, prefixed.uniform());
            assertEquals(a, b);
        }
    }

    @Test
    void distilBertLayoutComputesWhatTheEquivalentBertComputes(@TempDir Path dir) throws Exception {
        Path src = fixtures.resolve("bert-tiny-uncased");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "distilbert", "vocab_size": 30522, "dim": 32, "n_layers": 2, "n_heads": 4,
                 "hidden_dim": 64, "max_position_embeddings": 512, "activation": "gelu", "pad_token_id": 0}
                """);
        // DistilBERT has no token types: fold BERT's token_type_embeddings[0] into every word embedding
        SafetensorsBlob bert = Safetensors.decode(Files.readAllBytes(src.resolve("model.safetensors")), 1 << 20);
        float[] words = bert.tensor("embeddings.word_embeddings.weight").toFloats();
        float[] type0 = bert.tensor("embeddings.token_type_embeddings.weight").toFloats();
        for (int i = 0; i < words.length; i++) {
            words[i] += type0[i % 32];
        }
        Map<String, Tensor> distil = new LinkedHashMap<>();
        distil.put("distilbert.embeddings.word_embeddings.weight",
                Tensor.ofFloats(dev.caption.tensor.DType.F32, new long[] {30522, 32}, words));
        Map<String, String> rename = Map.of("attention.self.query.", "attention.q_lin.",
                "attention.self.key.", "attention.k_lin.", "attention.self.value.", "attention.v_lin.",
                "attention.output.dense.", "attention.out_lin.", "attention.output.LayerNorm.", "sa_layer_norm.",
                "intermediate.dense.", "ffn.lin1.", "output.dense.", "ffn.lin2.", "output.LayerNorm.", "output_layer_norm.");
        bert.tensors().forEach((name, t) -> {
            if (name.startsWith("embeddings.position_embeddings.") || name.startsWith("embeddings.LayerNorm.")) {
                distil.put("distilbert." + name, t);
            } else if (name.startsWith("encoder.layer.")) {
                String rest = name.substring("encoder.layer.".length());
                String layer = rest.substring(0, rest.indexOf('.') + 1);
                String module = rest.substring(layer.length());
                rename.forEach((from, to) -> {
                    if (module.startsWith(from)) {
                        distil.put("distilbert.transformer.layer." + layer + to + module.substring(from.length()), t);
                    }
                });
            }
        });
        Files.write(dir.resolve("model.safetensors"), Safetensors.encode(distil));
        try (BertScorer distilled = load(dir, 2)) {
            BertScorer plain = scorers.get("bert-tiny-uncased");
            List<Prf> a = plain.score(candidates, references, plain.uniform());
            List<Prf> b = distilled.score(candidates, references, distilled.uniform());
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.get(i).f(), b.get(i).f(), 1e-5, "candidate " + i);
            }
        }
    }

    @Test
    void checkpointMissingALayerIsRefusedNamingTheKeys(@TempDir Path dir) throws Exception {
        Path src = fixtures.resolve("bert-tiny-uncased");
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        SafetensorsBlob base = Safetensors.decode(Files.readAllBytes(src.resolve("model.safetensors")), 1 << 20);
        Map<String, Tensor> partial = new LinkedHashMap<>(base.tensors());
        partial.remove("encoder.layer.1.output.dense.weight");
        Files.write(dir.resolve("model.safetensors"), Safetensors.encode(partial));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> load(dir, 2));
        assertTrue(e.getMessage().contains("missing 1 [encoder.layer.1.output.dense.weight"), e.getMessage());
        // layer 1 alone does not need the second layer's weights
        load(dir, 1).close();
    }

    @Test
    void defaultLayersFollowBertScoresModelTable() {
        assertEquals(17, BertScorer.defaultLayer("roberta-large"));
        assertEquals(17, BertScorer.defaultLayer("FacebookAI/roberta-large"));
        assertEquals(9, BertScorer.defaultLayer("bert-base-uncased"));
        assertEquals(5, BertScorer.defaultLayer("distilbert/distilbert-base-uncased"));
        BertScoreSpec.MissingLayerException e = assertThrows(BertScoreSpec.MissingLayerException.class,
                () -> BertScorer.defaultLayer("/models/my-encoder"));
        assertTrue(e.getMessage().startsWith("no default BERTScore layer for /models/my-encoder; give one"), e.getMessage());
        assertTrue(e.naming("--bertscore-layer").getMessage().contains("; pass one with --bertscore-layer"),
                "each command names its own option");
    }

    @Test
    void aLocalDirectoryIsLookedUpByItsNameInBertScoresTable(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path copy = java.nio.file.Files.createDirectories(tmp.resolve("roberta-large"));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            java.nio.file.Files.copy(fixtures.resolve("roberta-tiny").resolve(f), copy.resolve(f));
        }
        // roberta-tiny has 4 layers, so bert_score's roberta-large default (17) is out of range: the name was used
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BertScoreSpec.builder(copy.toString()).build().open(HubEnvironment.fromSystem(), DownloadListener.NONE));
        assertTrue(e.getMessage().startsWith("layer 17 does not exist"), e.getMessage());
    }

    @Test
    void builtInBaselineIsRobertaLargeAtLayer17Only() {
        assertEquals(new Baseline(0.83150584, 0.8314941, 0.83122575), Baseline.builtIn("roberta-large", 17));
        assertThrows(IllegalArgumentException.class, () -> Baseline.builtIn("roberta-large", 16));
    }

    private static double assertPrf(JsonNode want, int i, Prf got, String what) {
        double p = want.get("P").get(i).asDouble();
        double r = want.get("R").get(i).asDouble();
        double f = want.get("F").get(i).asDouble();
        assertEquals(p, got.p(), ATOL, what + " P");
        assertEquals(r, got.r(), ATOL, what + " R");
        assertEquals(f, got.f(), ATOL, what + " F");
        return Math.max(Math.abs(p - got.p()), Math.max(Math.abs(r - got.r()), Math.abs(f - got.f())));
    }
}
