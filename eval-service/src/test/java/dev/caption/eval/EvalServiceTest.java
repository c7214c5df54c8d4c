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
class EvalServiceTest {

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/runs/e2e")
    URI run;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    @Test
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
        assertEquals(200, http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
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

    private static void sendCaption(KafkaProducer<String, byte[]> producer, int i, String text) throws Exception {
        ProducerRecord<String, byte[]> r = Caption.CODEC.toRecord("caption.captions",
                new Caption("case-" + i, text, 5, "qwen3-tiny", "local", "mean-k1", "e2e", Map.of()));
        producer.send(r).get();
    }
}
