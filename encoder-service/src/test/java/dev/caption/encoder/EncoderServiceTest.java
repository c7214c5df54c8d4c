package dev.caption.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.caption.broker.CommittedRecords;
import dev.caption.broker.LocalKafkaResource;
import dev.caption.broker.MatrixRows;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.FeatureFrame;
import dev.caption.core.message.ImageEvent;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;

/** The whole service on a real local broker with the tiny CLIP fixture: images in, features and dead letters out. */
@QuarkusTest
@QuarkusTestResource(LocalKafkaResource.class)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class EncoderServiceTest {

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    @TestHTTPResource("/q/metrics")
    URI metrics;

    @Test
    @org.junit.jupiter.api.Order(1)
    void encodesImagesAsTransformersDoesAndDeadLettersWhatIsNotAnImage() throws Exception {
        Map<String, byte[]> inputs = new HashMap<>();
        inputs.put("landscape", Files.readAllBytes(FIXTURES.resolve("images/landscape_500x375.png")));
        inputs.put("photo", Files.readAllBytes(FIXTURES.resolve("images/photo_640x480.jpg")));
        inputs.put("text", "definitely not an image".getBytes());
        byte[] png = inputs.get("landscape");
        inputs.put("truncated", java.util.Arrays.copyOf(png, 3000));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            for (Map.Entry<String, byte[]> e : inputs.entrySet()) {
                ProducerRecord<String, byte[]> r = ImageEvent.CODEC.toRecord("caption.images",
                        new ImageEvent(e.getKey(), "image/png", e.getValue()));
                CaptionHeaders.put(r.headers(), CaptionHeaders.SUBMIT_TIME, "1000");
                producer.send(r).get();
            }
        }

        List<ConsumerRecord<String, byte[]>> features = read("caption.features", 2);
        SafetensorsBlob want = Safetensors.decode(Files.readAllBytes(FIXTURES.resolve("clip-tiny.expected.safetensors")),
                10 << 20);
        for (ConsumerRecord<String, byte[]> r : features) {
            FeatureFrame frame = FeatureFrame.CODEC.fromRecord(r);
            String stem = r.key().equals("landscape") ? "landscape_500x375" : "photo_640x480";
            float[] got = frame.features().toFloats();
            float[] ref = want.tensor(stem + ".penultimate_hidden_state").toFloats();
            for (int i = 0; i < got.length; i++) {
                assertEquals(ref[48 + i], got[i], 1e-5 + 1e-4 * Math.abs(ref[48 + i]), stem + "[" + i + "]");
            }
            assertEquals(-2, frame.layer());
            assertEquals("1000", CaptionHeaders.get(r.headers(), CaptionHeaders.SUBMIT_TIME), "submit time carried on");
            assertTrue(CaptionHeaders.stageTimes(r.headers()).containsKey("encoder"));
        }
        List<ConsumerRecord<String, byte[]>> dead = read("caption.dlq", 2);
        Map<String, String> reasons = new HashMap<>();
        dead.forEach(d -> reasons.put(d.key(), CaptionHeaders.get(d.headers(), CaptionHeaders.DLQ_REASON)));
        assertEquals(Set.of("text", "truncated"), reasons.keySet());
        assertTrue(reasons.get("text").startsWith("not a supported image"), reasons.toString());
        assertTrue(reasons.get("truncated").startsWith("corrupt or truncated image"), reasons.toString());

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(health.body().contains("\"state\": \"UP\"") || health.body().contains("\"state\":\"UP\""), health.body());
        String prometheus = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
        List<String> captionMetrics = prometheus.lines().filter(l -> l.startsWith("caption_")).toList();
        // one counter per reason class; both images here failed to decode
        List<String> deadCounters = captionMetrics.stream().filter(l -> l.startsWith("caption_dead_letters_total{")).toList();
        assertTrue(deadCounters.stream().allMatch(l -> l.contains("reason=\"") && l.contains("stage=\"encoder\"")),
                deadCounters.toString());
        assertEquals(2.0, deadCounters.stream().mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum(),
                deadCounters.toString());
        assertTrue(prometheus.contains("caption_encoder_forward_seconds_count"), captionMetrics.toString());
    }

    private List<ConsumerRecord<String, byte[]>> read(String topic, int count) {
        List<ConsumerRecord<String, byte[]>> out = CommittedRecords.read(bootstrap, topic, count, Duration.ofSeconds(120));
        assertEquals(count, out.size(), "records on " + topic);
        return out;
    }

    /** A PNG whose header claims {@code w × h} pixels (valid signature, IHDR and CRC), with almost no data. */
    private static byte[] pngClaiming(int w, int h) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(java.io.ByteArrayOutputStream out, String type, byte[] data) throws Exception {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(type.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        crc.update(data);
        out.write(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        out.write(type.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.write(data);
        out.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /**
     * Raw image records of every kind of damage, through a plain producer: each bad one is a dead letter whose reason
     * names the problem, each good one comes out as features, records in = outputs + dead letters, and the stage
     * stays ready.
     */
    @Test
    @org.junit.jupiter.api.Order(2)
    void everyBadImageIsADeadLetterSayingWhyEveryGoodOneComesOutAndTheStageStaysUp() throws Exception {
        byte[] gray = Files.readAllBytes(FIXTURES.resolve("images/gray_320x240.png"));
        byte[] jpeg = Files.readAllBytes(FIXTURES.resolve("images/photo_640x480.jpg"));
        byte[] corruptJpeg = jpeg.clone();
        java.util.Arrays.fill(corruptJpeg, 2, 600, (byte) 0x5a);                 // the header segments overwritten
        List<Object[]> rows = new ArrayList<>();                                   // key, value, content type, expected
        rows.add(new Object[] {"i-null", null, "image/png", "has no image bytes"});
        rows.add(new Object[] {"i-empty", new byte[0], "image/png", "has no image bytes"});
        rows.add(new Object[] {"i-text", "just some text".getBytes(), "image/png", "not a supported image"});
        rows.add(new Object[] {"i-truncated-png", java.util.Arrays.copyOf(gray, 2000), "image/png", "corrupt or truncated image"});
        rows.add(new Object[] {"i-corrupt-jpeg", corruptJpeg, "image/jpeg", "corrupt or truncated image: Invalid JPEG file structure"});
        rows.add(new Object[] {"i-bomb-20000", pngClaiming(20000, 20000), "image/png", "400000000 pixels"});
        rows.add(new Object[] {"i-bomb-60000", pngClaiming(60000, 60000), "image/png", "3600000000 pixels"});
        rows.add(new Object[] {"i-at-the-limit", java.util.Arrays.copyOf(gray, 500000), "image/png", null});
        rows.add(new Object[] {"i-over-the-limit", java.util.Arrays.copyOf(gray, 500001), "image/png",
            "image of 500001 bytes exceeds the 500000-byte limit"});
        rows.add(new Object[] {"i-control\u0007key", gray, "image/png", "id contains control characters"});
        rows.add(new Object[] {"i-" + "k".repeat(1100), gray, "image/png", "id is longer than 1024 characters"});
        rows.add(new Object[] {"i-mislabelled", gray, "image/jpeg", null});
        rows.add(new Object[] {"i-good-jpeg", jpeg, "image/jpeg", null});
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                "max.request.size", 2 << 20), new StringSerializer(), new ByteArraySerializer())) {
            for (Object[] row : rows) {
                ProducerRecord<String, byte[]> r = new ProducerRecord<>("caption.images", (String) row[0], (byte[]) row[1]);
                r.headers().add(CaptionHeaders.CONTENT_TYPE, ((String) row[2]).getBytes());
                producer.send(MatrixRows.tag(r, Integer.toString(rows.indexOf(row)))).get();
            }
            producer.send(MatrixRows.tag(new ProducerRecord<>("caption.images", null, gray), "keyless")).get();
            // a burst mixing good and bad records: 3 keys x 3 good images each, in order, with bad ones between
            for (int seq = 0; seq < 3; seq++) {
                for (int k = 0; k < 3; k++) {
                    ProducerRecord<String, byte[]> r = new ProducerRecord<>("caption.images", "i-burst-" + k, gray);
                    r.headers().add(CaptionHeaders.CONTENT_TYPE, "image/png".getBytes());
                    r.headers().add(CaptionHeaders.SUBMIT_TIME, Long.toString(1000 + seq).getBytes());
                    producer.send(r);
                    producer.send(MatrixRows.tag(new ProducerRecord<>("caption.images", "i-burst-bad-" + seq + k,
                            "junk".getBytes()), "burst-" + seq + k));
                }
            }
            producer.flush();
        }
        long good = rows.stream().filter(r -> r[3] == null).count();
        int expectedDead = (int) (rows.size() - good) + 1 + 9;
        List<ConsumerRecord<String, byte[]>> dead = MatrixRows.readTagged(bootstrap, "caption.dlq", expectedDead,
                Duration.ofSeconds(120));
        List<ConsumerRecord<String, byte[]>> out = CommittedRecords.read(bootstrap, "caption.features",
                r -> r.key() != null && r.key().startsWith("i-"), (int) good + 9, Duration.ofSeconds(120));
        Map<String, String> reasons = MatrixRows.byRow(dead, d -> CaptionHeaders.get(d.headers(), CaptionHeaders.DLQ_REASON));
        for (int i = 0; i < rows.size(); i++) {
            String expected = (String) rows.get(i)[3];
            if (expected != null) {
                String reason = reasons.get(Integer.toString(i));
                assertTrue(reason != null && reason.contains(expected), rows.get(i)[0] + ": " + reason);
                assertTrue(!reason.contains("\n"), reason);
            }
        }
        assertTrue(reasons.get("keyless").contains("has no record key"), reasons.get("keyless"));
        assertEquals(expectedDead, dead.size(), reasons.toString());
        assertEquals(java.util.Set.of("i-at-the-limit", "i-mislabelled", "i-good-jpeg"),
                new java.util.HashSet<>(out.stream().map(ConsumerRecord::key).filter(k -> !k.startsWith("i-burst-")).toList()));
        assertEquals(good + 9, out.size());
        for (int k = 0; k < 3; k++) {
            String key = "i-burst-" + k;
            assertEquals(List.of("1000", "1001", "1002"), out.stream().filter(r -> r.key().equals(key))
                    .map(r -> CaptionHeaders.get(r.headers(), CaptionHeaders.SUBMIT_TIME)).toList(), key + " in per-key order");
        }
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(ready).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), "the stage keeps running: " + health.body());
    }
}
