package dev.caption.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;

import dev.caption.broker.CommittedRecords;
import dev.caption.broker.LocalKafkaResource;
import dev.caption.core.message.Caption;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.DeadLetter;
import dev.caption.core.message.Json;
import dev.caption.core.message.References;
import dev.caption.core.message.RunMetrics;
import dev.caption.core.message.Score;

/**
 * The service on a real local broker. The test plays the stages behind it: it reads what the page published, and
 * writes features, captions, scores, dead letters and run metrics for those ids as the services would.
 */
@QuarkusTest
@QuarkusTestResource(LocalKafkaResource.class)
class WebServiceTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/api/events")
    URI events;

    private static byte[] png(int width, int height, long seed) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(0xFFFFFF));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private Response upload(Map<String, byte[]> files, List<String> references) {
        var request = RestAssured.given();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            request = request.multiPart("image", f.getKey(), f.getValue(), "application/octet-stream");
        }
        for (String r : references) {
            request = request.multiPart("references", r);
        }
        return request.post("/api/images");
    }

    /** Reads the SSE stream of {@code ids} on a thread; its events' JSON arrive in the queue. */
    private BlockingQueue<JsonNode> follow(String ids) {
        BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
        HttpRequest request = HttpRequest.newBuilder(URI.create(events + "?ids=" + URLEncoder.encode(ids, StandardCharsets.UTF_8)))
                .header("Accept", "text/event-stream").build();
        HttpClient.newHttpClient().sendAsync(request, HttpResponse.BodyHandlers.ofLines()).thenAccept(response -> {
            try (Stream<String> lines = response.body()) {
                lines.filter(l -> l.startsWith("data:")).forEach(l -> {
                    try {
                        received.add(Json.MAPPER.readTree(l.substring(5).strip()));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
        });
        return received;
    }

    private static List<JsonNode> take(BlockingQueue<JsonNode> queue, int n) throws InterruptedException {
        List<JsonNode> got = new ArrayList<>();
        while (got.size() < n) {
            JsonNode e = queue.poll(60, TimeUnit.SECONDS);
            assertNotNull(e, "only " + got.size() + " of " + n + " events arrived: " + got);
            got.add(e);
        }
        return got;
    }

    private KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), new StringSerializer(), new ByteArraySerializer());
    }

    /** As a stage emits it: the input's headers and this stage's emit time. */
    private static ProducerRecord<String, byte[]> emitted(ProducerRecord<String, byte[]> out, ConsumerRecord<String, byte[]> in,
                                                          String stage) {
        in.headers().forEach(h -> out.headers().add(h));
        CaptionHeaders.put(out.headers(), CaptionHeaders.stageTimeKey(stage), Long.toString(System.currentTimeMillis()));
        return out;
    }

    @Test
    void anUploadsEncodingCaptionAndScoreStreamInPipelineOrderExactlyOnceEvenWhenTheScoreComesFirst() throws Exception {
        byte[] image = png(32, 24, 1);
        Response r = upload(Map.of("red square.png", image), List.of("a red square\n\n  a square that is red  "));
        assertEquals(202, r.statusCode(), r.asString());
        String id = r.jsonPath().getString("ids[0]");
        assertTrue(id.matches("red-square-[0-9a-f]{8}"), id);
        assertEquals(1, r.jsonPath().getInt("withReferences"));

        ConsumerRecord<String, byte[]> published = CommittedRecords.read(bootstrap, "caption.images", c -> id.equals(c.key()),
                1, Duration.ofSeconds(30)).get(0);
        assertTrue(Arrays.equals(image, published.value()));
        assertEquals("image/png", CaptionHeaders.get(published.headers(), CaptionHeaders.CONTENT_TYPE));
        assertNotNull(CaptionHeaders.get(published.headers(), CaptionHeaders.SUBMIT_TIME));
        assertNotNull(CaptionHeaders.get(published.headers(), CaptionHeaders.TRACEPARENT));
        References refs = References.CODEC.fromRecord(CommittedRecords.read(bootstrap, "caption.references",
                c -> id.equals(c.key()), 1, Duration.ofSeconds(30)).get(0));
        assertEquals(List.of("a red square", "a square that is red"), refs.references());

        BlockingQueue<JsonNode> stream = follow(id);
        Caption caption = Caption.builder(id, "a red square").model("qwen3").adapter("a1").run("r1").build();
        Score score = new Score(id, "r1", "qwen3", "a1", "roberta", 0.9, 0.8, 0.85, caption.text(), refs.references());
        try (KafkaProducer<String, byte[]> p = producer()) {
            p.send(emitted(new ProducerRecord<>("caption.features", id, new byte[] {1, 2, 3}), published, "encoder")).get();
            // the score before its caption: the page must still see the caption first
            p.send(emitted(Score.CODEC.toRecord("caption.scores", score), published, "eval")).get();
            Thread.sleep(300);
            p.send(emitted(Caption.CODEC.toRecord("caption.captions", caption), published, "llm")).get();
        }
        List<JsonNode> got = take(stream, 3);
        assertEquals(List.of("ENCODED", "CAPTIONED", "SCORED"), got.stream().map(e -> e.get("kind").asText()).toList());
        assertEquals("a red square", got.get(1).at("/caption/text").asText());
        assertEquals(0.85, got.get(2).at("/score/F").asDouble(), 1e-12);
        assertEquals(Long.parseLong(CaptionHeaders.get(published.headers(), CaptionHeaders.SUBMIT_TIME)),
                got.get(1).get("submitTime").asLong());
        assertTrue(got.get(1).at("/stageTimes/llm").asLong() > 0, got.get(1).toString());
        Thread.sleep(500);
        assertTrue(stream.isEmpty(), "each event once: " + stream);

        // a page that connects later gets the same three, once each
        List<JsonNode> again = take(follow(id), 3);
        assertEquals(List.of("ENCODED", "CAPTIONED", "SCORED"), again.stream().map(e -> e.get("kind").asText()).toList());
    }

    @Test
    void aDeadLetterForAnUploadStreamsAsFailedWithItsReason() throws Exception {
        Response r = upload(Map.of("dead.png", png(8, 8, 2)), List.of());
        assertEquals(202, r.statusCode(), r.asString());
        String id = r.jsonPath().getString("ids[0]");
        BlockingQueue<JsonNode> stream = follow(id);
        DeadLetter dead = new DeadLetter("encoder", "ImageDecodeException", "corrupt or truncated image: test",
                "caption.images", 0, 0, System.currentTimeMillis(), id, new byte[] {9}, List.of());
        try (KafkaProducer<String, byte[]> p = producer()) {
            p.send(DeadLetter.CODEC.toRecord("caption.dlq", dead)).get();
        }
        JsonNode failed = take(stream, 1).get(0);
        assertEquals("FAILED", failed.get("kind").asText());
        assertEquals("encoder", failed.at("/deadLetter/stage").asText());
        assertEquals("corrupt or truncated image: test", failed.at("/deadLetter/reason").asText());
        assertTrue(failed.at("/deadLetter/value").isMissingNode(), "the record's bytes stay out of the JSON");
    }

    private long imagesEndOffset() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Map<TopicPartition, OffsetSpec> latest = admin.describeTopics(List.of("caption.images")).allTopicNames().get()
                    .get("caption.images").partitions().stream()
                    .collect(Collectors.toMap(p -> new TopicPartition("caption.images", p.partition()), p -> OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
        }
    }

    private void refused(int status, String message, Response r) {
        assertEquals(status, r.statusCode(), r.asString());
        assertEquals(status, r.jsonPath().getInt("status"));
        assertTrue(r.jsonPath().getString("error").contains(message), r.jsonPath().getString("error"));
    }

    @Test
    void badUploadsGetTheirFourHundredsAndPublishNothing() throws Exception {
        long before = imagesEndOffset();
        byte[] good = png(8, 8, 3);
        refused(400, "is empty", upload(Map.of("empty.png", new byte[0]), List.of()));
        refused(415, "not an image: text/plain", upload(Map.of("notes.png", "just some words".getBytes(StandardCharsets.UTF_8)), List.of()));
        byte[] truncated = Arrays.copyOf(good, good.length / 2);
        refused(422, "corrupt or truncated", upload(Map.of("cut.png", truncated), List.of()));
        // the test profile's image limit is 64 KiB; 160x160 of noise is about 75 KiB as PNG
        byte[] big = png(160, 160, 4);
        assertTrue(big.length > 65536, "the image must be over the limit: " + big.length);
        refused(413, "over the limit of 65536 (caption.topics.max-image-bytes)", upload(Map.of("big.png", big), List.of()));
        // one bad image refuses the whole request: the good one is not published either
        Map<String, byte[]> mixed = new java.util.LinkedHashMap<>();
        mixed.put("good.png", good);
        mixed.put("bad.png", truncated);
        refused(422, "image 2 (bad.png)", upload(mixed, List.of()));
        refused(400, "send one per image", upload(Map.of("good.png", good), List.of("a", "b")));
        refused(400, "no image", RestAssured.given().multiPart("references", "x").post("/api/images"));
        refused(400, "control characters", RestAssured.given().queryParam("ids", "a\u0001b").get("/api/events"));
        Thread.sleep(500);
        assertEquals(before, imagesEndOffset(), "nothing reached caption.images");
    }

    @Test
    void runsListEachRunsAggregatesFromTheMetricsTopic() throws Exception {
        RunMetrics m = RunMetrics.NONE;
        for (double f : new double[] {0.8, 0.9, 0.85}) {
            m = m.plus(new Score("x", "run-web", "qwen3", "a1", "roberta", f, f, f, "c", List.of("c")), 1);
        }
        try (KafkaProducer<String, byte[]> p = producer()) {
            p.send(RunMetrics.CODEC.toRecord("caption.metrics", m)).get();
        }
        JsonNode run = null;
        for (int i = 0; i < 200 && run == null; i++) {
            for (JsonNode n : Json.MAPPER.readTree(RestAssured.get("/api/runs").asString())) {
                if (n.get("run").asText().equals("run-web")) {
                    run = n;
                }
            }
            Thread.sleep(100);
        }
        assertNotNull(run, "run-web never listed");
        assertEquals(3, run.get("count").asInt());
        assertEquals(0.85, run.at("/F/mean").asDouble(), 1e-12);
        assertTrue(run.at("/F/ci95").asDouble() > 0);
    }

    @Test
    void thePageIsServedAtTheRoot() {
        Response page = RestAssured.get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.asString().contains("id=\"file-input\""));
        assertEquals(200, RestAssured.get("/app.js").statusCode());
        assertEquals(200, RestAssured.get("/q/health/ready").statusCode());
    }
}
