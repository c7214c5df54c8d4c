package dev.caption.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.caption.broker.CommittedRecords;
import dev.caption.broker.LocalKafkaResource;
import dev.caption.broker.MatrixRows;
import dev.caption.core.message.Caption;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.Json;
import dev.caption.core.message.References;
import dev.caption.core.message.Score;

/**
 * The service on a real local broker with roberta-tiny: the fixture's eight bert_score cases streamed through,
 * half of the captions before their references, scored as bert_score scores them, and aggregated per run.
 */
@QuarkusTest
@QuarkusTestResource(LocalKafkaResource.class)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class EvalServiceTest {

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/runs/e2e")
    URI run;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    @Test
    @org.junit.jupiter.api.Order(1)
    void streamedCaptionsAreScoredLikeBertScoreAndAggregatedPerRun() throws Exception {
        JsonNode expected = Json.MAPPER.readTree(FIXTURES.resolve("bertscore.expected.json").toFile());
        JsonNode want = expected.get("models").get("roberta-tiny").get("settings").get("idf_false");
        List<String> candidates = new ArrayList<>();
        List<List<String>> references = new ArrayList<>();
        for (JsonNode c : expected.get("cases")) {
            candidates.add(c.get("candidate").asText());
            references.add(Json.MAPPER.convertValue(c.get("references"), List.class));
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                "enable.idempotence", "true"), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 4; i++) {
                sendCaption(producer, i, candidates.get(i));
            }
            for (int i = 0; i < 8; i++) {
                producer.send(References.CODEC.toRecord("caption.references", new References("case-" + i, references.get(i)))).get();
            }
            for (int i = 4; i < 8; i++) {
                sendCaption(producer, i, candidates.get(i));
            }
            producer.send(new ProducerRecord<>("caption.captions", "case-x", "{\"id\":".getBytes(StandardCharsets.UTF_8))).get();
        }

        List<ConsumerRecord<String, byte[]>> records = CommittedRecords.read(bootstrap, "caption.scores", 8, Duration.ofSeconds(120));
        assertEquals(8, records.size());
        Map<String, Score> byId = new HashMap<>();
        records.forEach(r -> byId.put(r.key(), Score.CODEC.fromRecord(r)));
        double meanF = 0;
        for (int i = 0; i < 8; i++) {
            Score s = byId.get("case-" + i);
            assertEquals(want.get("P").get(i).asDouble(), s.precision(), 1e-5, "P of case " + i);
            assertEquals(want.get("R").get(i).asDouble(), s.recall(), 1e-5, "R of case " + i);
            assertEquals(want.get("F").get(i).asDouble(), s.f1(), 1e-5, "F of case " + i);
            assertEquals("e2e", s.run());
            assertEquals(references.get(i), s.references());
            meanF += want.get("F").get(i).asDouble() / 8;
        }
        List<ConsumerRecord<String, byte[]>> dead = CommittedRecords.read(bootstrap, "caption.dlq", 1, Duration.ofSeconds(60));
        assertEquals("case-x", dead.get(0).key());
        assertTrue(CaptionHeaders.get(dead.get(0).headers(), CaptionHeaders.DLQ_REASON).length() > 0);

        HttpClient http = HttpClient.newHttpClient();
        assertEquals(200, readyStatus(http));
        // the aggregate goes through a repartition topic: poll until all eight are counted
        JsonNode agg = null;
        for (int attempt = 0; attempt < 600; attempt++) {
            HttpResponse<String> resp = http.send(HttpRequest.newBuilder(run).build(), HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() == 200) {
                agg = Json.MAPPER.readTree(resp.body()).get(0);
                if (agg.get("count").asInt() == 8) {
                    break;
                }
            }
            Thread.sleep(100);
        }
        assertEquals(8, agg.get("count").asInt(), String.valueOf(agg));
        assertEquals(meanF, agg.get("F").get("mean").asDouble(), 1e-5);
        assertTrue(agg.get("F").get("ci95").asDouble() > 0);
        assertEquals("roberta-tiny", Path.of(agg.get("scorer").asText().split("_L")[0]).getFileName().toString());
    }

    /** Readiness waits for the first stable assignment (caption.eval.ready-settle): poll it, up to a minute. */
    private int readyStatus(HttpClient http) throws Exception {
        int status = 0;
        for (int attempt = 0; attempt < 600 && status != 200; attempt++) {
            status = http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
            if (status != 200) {
                Thread.sleep(100);
            }
        }
        return status;
    }

    private static void sendCaption(KafkaProducer<String, byte[]> producer, int i, String text) throws Exception {
        ProducerRecord<String, byte[]> r = Caption.CODEC.toRecord("caption.captions",
                new Caption("case-" + i, text, 5, "qwen3-tiny", "local", "mean-k1", "e2e", Map.of()));
        producer.send(r).get();
    }

    /**
     * Raw JSON of every kind of damage on both input topics, through a plain producer: each bad record is a dead
     * letter whose one-line reason names the problem, each good caption is scored, nothing is lost, and the
     * service stays ready.
     */
    @Test
    @org.junit.jupiter.api.Order(2)
    void everyBadCaptionOrReferenceIsADeadLetterSayingWhyAndEveryGoodCaptionIsScored() throws Exception {
        Map<String, byte[]> badCaptions = new java.util.LinkedHashMap<>();
        Map<String, String> why = new HashMap<>();
        badCaptions.put("j-malformed", "{not json".getBytes(StandardCharsets.UTF_8));
        why.put("j-malformed", "malformed Caption JSON");
        badCaptions.put("j-truncated", "{\"id\":\"j-truncated\",".getBytes(StandardCharsets.UTF_8));
        why.put("j-truncated", "malformed Caption JSON");
        badCaptions.put("j-binary", new byte[] {0, 1, 2, (byte) 0xff, (byte) 0xfe});
        why.put("j-binary", "malformed Caption JSON");
        badCaptions.put("j-array", "[1,2]".getBytes(StandardCharsets.UTF_8));
        why.put("j-array", "malformed Caption JSON");
        badCaptions.put("j-wrong-type", "{\"id\":\"j-wrong-type\",\"text\":\"a dog\",\"tokenCount\":\"many\"}".getBytes(StandardCharsets.UTF_8));
        why.put("j-wrong-type", "malformed Caption JSON");
        badCaptions.put("j-no-id", "{\"text\":\"a dog\",\"tokenCount\":2}".getBytes(StandardCharsets.UTF_8));
        why.put("j-no-id", "Caption has no id");
        badCaptions.put("j-no-text", "{\"id\":\"j-no-text\",\"tokenCount\":2}".getBytes(StandardCharsets.UTF_8));
        why.put("j-no-text", "Caption 'j-no-text' has no text");
        badCaptions.put("j-id-not-key", "{\"id\":\"someone\",\"text\":\"a dog\",\"tokenCount\":2}".getBytes(StandardCharsets.UTF_8));
        why.put("j-id-not-key", "Caption id 'someone' does not match the record key 'j-id-not-key'");
        badCaptions.put("j-empty", new byte[0]);
        why.put("j-empty", "Caption");
        badCaptions.put("j-null", null);
        why.put("j-null", "caption record has no value");
        Map<String, byte[]> badReferences = new java.util.LinkedHashMap<>();
        badReferences.put("r-empty-list", "{\"id\":\"r-empty-list\",\"references\":[]}".getBytes(StandardCharsets.UTF_8));
        why.put("r-empty-list", "References 'r-empty-list' lists no captions");
        badReferences.put("r-null-item", "{\"id\":\"r-null-item\",\"references\":[\"a\",null]}".getBytes(StandardCharsets.UTF_8));
        why.put("r-null-item", "References 'r-null-item' contains a null caption");
        badReferences.put("r-wrong-type", "{\"id\":\"r-wrong-type\",\"references\":{\"a\":1}}".getBytes(StandardCharsets.UTF_8));
        why.put("r-wrong-type", "malformed References JSON");
        badReferences.put("r-id-not-key", "{\"id\":\"someone\",\"references\":[\"a\"]}".getBytes(StandardCharsets.UTF_8));
        why.put("r-id-not-key", "does not match the record key 'r-id-not-key'");
        String long40k = "a dog runs on the grass ".repeat(1700);                            // about 40 KB
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                "enable.idempotence", "true"), new StringSerializer(), new ByteArraySerializer())) {
            java.util.function.BiConsumer<ProducerRecord<String, byte[]>, String> send = (r, row) -> {
                try {
                    producer.send(MatrixRows.tag(r, row)).get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            badCaptions.forEach((k, v) -> send.accept(new ProducerRecord<>("caption.captions", k, v), k));
            badReferences.forEach((k, v) -> send.accept(new ProducerRecord<>("caption.references", k, v), k));
            send.accept(new ProducerRecord<>("caption.captions", null,
                    "{\"id\":\"j-no-key\",\"text\":\"a dog\",\"tokenCount\":2}".getBytes(StandardCharsets.UTF_8)), "j-no-key");
            // (a keyless reference cannot be written at all: the broker refuses keyless records on a compacted topic)
            // good ones, raw JSON too: a short caption, and a 40 KB one, each with references
            for (String id : List.of("j-good", "j-40kb")) {
                send.accept(new ProducerRecord<>("caption.references", id, ("{\"id\":\"" + id
                        + "\",\"references\":[\"a dog runs on the grass\"]}").getBytes(StandardCharsets.UTF_8)), id + "-refs");
            }
            send.accept(new ProducerRecord<>("caption.captions", "j-good",
                    "{\"id\":\"j-good\",\"text\":\"a dog runs\",\"tokenCount\":3,\"run\":\"matrix\"}".getBytes(StandardCharsets.UTF_8)), "j-good");
            send.accept(new ProducerRecord<>("caption.captions", "j-40kb", ("{\"id\":\"j-40kb\",\"text\":\"" + long40k
                    + "\",\"tokenCount\":8000,\"run\":\"matrix\"}").getBytes(StandardCharsets.UTF_8)), "j-40kb");
        }
        int expectedDead = badCaptions.size() + badReferences.size() + 1;
        List<ConsumerRecord<String, byte[]>> dead = MatrixRows.readTagged(bootstrap, "caption.dlq", expectedDead,
                Duration.ofSeconds(120));
        List<ConsumerRecord<String, byte[]>> scores = CommittedRecords.read(bootstrap, "caption.scores",
                r -> r.key() != null && r.key().startsWith("j-"), 2, Duration.ofSeconds(120));
        Map<String, String> reasons = MatrixRows.byRow(dead, d -> CaptionHeaders.get(d.headers(), CaptionHeaders.DLQ_REASON));
        for (Map.Entry<String, String> w : why.entrySet()) {
            String reason = reasons.get(w.getKey());
            assertTrue(reason != null && reason.contains(w.getValue()), w.getKey() + ": " + reason);
            assertTrue(!reason.contains("\n") && !reason.contains("[Source"), w.getKey() + ": " + reason);
        }
        assertTrue(reasons.get("j-no-key").contains("has no record key"), reasons.get("j-no-key"));
        // every caption in is a score or a dead letter: nothing waits forever, nothing is doubled
        assertEquals(expectedDead, dead.size(), reasons.keySet().toString());
        assertEquals(java.util.Set.of("j-good", "j-40kb"), new java.util.HashSet<>(scores.stream().map(ConsumerRecord::key).toList()));
        assertEquals(2, scores.size());
        assertEquals(200, readyStatus(HttpClient.newHttpClient()), "the stage keeps running");
    }
}
