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
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.FeatureFrame;
import dev.caption.core.message.ImageEvent;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;

/** The whole service on a real local broker with the tiny CLIP fixture: images in, features and dead letters out. */
@QuarkusTest
@QuarkusTestResource(LocalKafkaResource.class)
class EncoderServiceTest {

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    @TestHTTPResource("/q/metrics")
    URI metrics;

    @Test
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
}
