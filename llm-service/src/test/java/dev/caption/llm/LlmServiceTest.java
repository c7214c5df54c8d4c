package dev.caption.llm;

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
import java.util.Optional;
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
import dev.caption.core.message.Caption;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.PrefixFrame;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Decoding;
import dev.caption.nn.qwen3.Prompt;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.qwen3.Qwen3Spec;
import dev.caption.tensor.DType;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.Tensor;

/** The service on a real local broker with qwen3-tiny: prefixes in, captions and dead letters out. */
@QuarkusTest
@QuarkusTestResource(LocalKafkaResource.class)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class LlmServiceTest {

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @ConfigProperty(name = "caption.llm.model")
    String modelId;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    @TestHTTPResource("/q/metrics")
    URI metrics;

    @Test
    @org.junit.jupiter.api.Order(1)
    void captionsPrefixesInBatchesAndDeadLettersForeignOrMisShapedOnes() throws Exception {
        SafetensorsBlob fixture = Safetensors.decode(Files.readAllBytes(FIXTURES.resolve("qwen3-tiny.expected.safetensors")),
                10 << 20);
        Map<String, Tensor> good = Map.of("img-b", fixture.tensor("b.prefix"), "img-c", fixture.tensor("c.0.prefix"));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            for (Map.Entry<String, Tensor> e : good.entrySet()) {
                send(producer, new PrefixFrame(e.getKey(), e.getValue().convert(DType.F16), "mean-k6", "clip", modelId, Optional.empty()));
            }
            send(producer, new PrefixFrame("img-other", fixture.tensor("b.prefix"), "mean-k6", "clip", "Qwen/Qwen3-8B", Optional.empty()));
            send(producer, new PrefixFrame("img-wide", Tensor.ofFloats(DType.F32, new long[] {2, 48}, new float[96]),
                    "mean-k6", "clip", modelId, Optional.empty()));
        }

        List<ConsumerRecord<String, byte[]>> captions = read("caption.captions", 2);
        try (Qwen3Captioner lm = Qwen3Spec.builder(modelId).build().open(HubEnvironment.fromSystem(), DownloadListener.NONE)) {
            for (ConsumerRecord<String, byte[]> r : captions) {
                Caption caption = Caption.CODEC.fromRecord(r);
                // what the model gives this prefix alone, with the wire's fp16 rounding
                float[] prefix = good.get(caption.id()).convert(DType.F16).toFloats();
                Qwen3Captioner.Result alone = lm.generate(List.of(Qwen3Captioner.Item.of(Prompt.IMAGE, prefix, 6)),
                        new Decoding.Greedy(12)).first().get(0);
                assertEquals(alone.text(), caption.text(), caption.id());
                assertEquals(alone.tokenIds().length, caption.tokenCount());
                assertEquals(lm.modelId(), caption.model());
                assertEquals("mean-k6", caption.adapter());
                assertEquals(2000L, caption.timings().get("submit"));
                assertTrue(caption.timings().containsKey("llm"));
            }
        }
        List<ConsumerRecord<String, byte[]>> dead = read("caption.dlq", 2);
        Map<String, String> reasons = new HashMap<>();
        dead.forEach(d -> reasons.put(d.key(), CaptionHeaders.get(d.headers(), CaptionHeaders.DLQ_REASON)));
        assertEquals(Set.of("img-other", "img-wide"), reasons.keySet());
        assertEquals("prefix was made for LLM Qwen/Qwen3-8B but this service runs "
                + Path.of(modelId).toAbsolutePath().normalize(), reasons.get("img-other"));
        assertTrue(reasons.get("img-wide").contains("prefix width 48 does not match"), reasons.toString());

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        String prometheus = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(prometheus.contains("caption_llm_tokens_total"), "tokens counter");
        assertTrue(prometheus.contains("caption_llm_time_to_first_token_seconds_count"), "TTFT timer");
    }

    private static void send(KafkaProducer<String, byte[]> producer, PrefixFrame frame) throws Exception {
        ProducerRecord<String, byte[]> r = PrefixFrame.CODEC.toRecord("caption.prefixes", frame);
        CaptionHeaders.put(r.headers(), CaptionHeaders.SUBMIT_TIME, "2000");
        producer.send(r).get();
    }

    private List<ConsumerRecord<String, byte[]>> read(String topic, int count) {
        List<ConsumerRecord<String, byte[]>> out = CommittedRecords.read(bootstrap, topic, count, Duration.ofSeconds(120));
        assertEquals(count, out.size(), "records on " + topic);
        return out;
    }

    /** A prefix frame written by hand, as an outside client would: F32 [rows, width] and the given metadata JSON. */
    private static byte[] prefixBlob(int rows, int width, float[] values, String meta) {
        java.nio.ByteBuffer d = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            d.putFloat(v);
        }
        byte[] h = ("{\"prefix\":{\"dtype\":\"F32\",\"shape\":[" + rows + "," + width + "],\"data_offsets\":[0,"
                + d.capacity() + "]}" + (meta.isEmpty() ? "" : ",\"__metadata__\":{" + meta + "}") + "}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + h.length + d.capacity()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        return b.putLong(h.length).put(h).put(d.array()).array();
    }

    /**
     * Raw prefix records of every kind of damage, through a plain producer: each bad one is a dead letter whose
     * reason names the problem (the model never generates from a non-finite prefix), each good one is captioned,
     * records in = outputs + dead letters, and the stage stays ready.
     */
    @Test
    @org.junit.jupiter.api.Order(2)
    void everyBadPrefixIsADeadLetterSayingWhyAndEveryGoodOneIsCaptioned() throws Exception {
        String meta = "\"kind\":\"prefix\",\"adapter.id\":\"mean-k4\",\"encoder.model\":\"clip\",\"llm.model\":\""
                + modelId.replace("\\", "\\\\") + "\"";
        float[] small = new float[4 * 32];
        for (int i = 0; i < small.length; i++) {
            small[i] = (float) Math.sin(i) * 0.1f;
        }
        float[] nan = small.clone();
        nan[3] = Float.NaN;
        float[] inf = small.clone();
        inf[5] = Float.POSITIVE_INFINITY;
        Map<String, byte[]> rows = new java.util.LinkedHashMap<>();
        Map<String, String> why = new HashMap<>();
        rows.put("l-garbage", "garbage".getBytes());
        why.put("l-garbage", "not a valid safetensors blob");
        rows.put("l-empty", new byte[0]);
        why.put("l-empty", "not a valid safetensors blob");
        rows.put("l-null", null);
        why.put("l-null", "blob is missing (null)");
        rows.put("l-wide", prefixBlob(2, 48, new float[96], meta));
        why.put("l-wide", "prefix width 48 does not match");
        rows.put("l-foreign", prefixBlob(4, 32, small, meta.replace(modelId, "Qwen/Qwen3-8B")));
        why.put("l-foreign", "prefix was made for LLM Qwen/Qwen3-8B");
        rows.put("l-nan", prefixBlob(4, 32, nan, meta));
        why.put("l-nan", "holds 1 NaN and 0 infinite values (of 128)");
        rows.put("l-inf", prefixBlob(4, 32, inf, meta));
        why.put("l-inf", "holds 0 NaN and 1 infinite values (of 128)");
        rows.put("l-no-llm", prefixBlob(4, 32, small, meta.replaceAll(",\"llm.model\":\"[^\"]*\"", "")));
        why.put("l-no-llm", "lacks metadata 'llm.model'");
        rows.put("l-id-not-key", prefixBlob(4, 32, small, "\"id\":\"someone\"," + meta));
        why.put("l-id-not-key", "does not match the record key 'l-id-not-key'");
        rows.put("l-features-frame", prefixBlob(4, 32, small, meta.replace("\"kind\":\"prefix\"", "\"kind\":\"features\"")));
        why.put("l-features-frame", "expected a prefix frame, got a features frame");
        List<String> good = List.of("l-good-1", "l-good-2");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            java.util.function.BiConsumer<String, byte[]> send = (key, value) -> {
                try {
                    producer.send(MatrixRows.tag(new ProducerRecord<>("caption.prefixes", key, value),
                            key == null ? "keyless" : key)).get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            rows.forEach(send);
            good.forEach(k -> send.accept(k, prefixBlob(4, 32, small, meta)));
            send.accept(null, prefixBlob(4, 32, small, meta));
            // a burst mixing good and bad records: 3 keys x 3 good prefixes each, in order, with bad ones between
            for (int seq = 0; seq < 3; seq++) {
                for (int k = 0; k < 3; k++) {
                    ProducerRecord<String, byte[]> r = new ProducerRecord<>("caption.prefixes", "l-burst-" + k,
                            prefixBlob(4, 32, small, meta));
                    r.headers().add(CaptionHeaders.SUBMIT_TIME, Long.toString(1000 + seq).getBytes());
                    producer.send(r);
                    send.accept("l-burst-bad-" + seq + k, "junk".getBytes());
                }
            }
            producer.flush();
        }
        int expectedDead = rows.size() + 1 + 9;
        List<ConsumerRecord<String, byte[]>> dead = MatrixRows.readTagged(bootstrap, "caption.dlq", expectedDead,
                Duration.ofSeconds(120));
        List<ConsumerRecord<String, byte[]>> captions = CommittedRecords.read(bootstrap, "caption.captions",
                r -> r.key() != null && r.key().startsWith("l-"), good.size() + 9, Duration.ofSeconds(120));
        Map<String, String> reasons = MatrixRows.byRow(dead, d -> CaptionHeaders.get(d.headers(), CaptionHeaders.DLQ_REASON));
        for (Map.Entry<String, String> w : why.entrySet()) {
            String reason = reasons.get(w.getKey());
            assertTrue(reason != null && reason.contains(w.getValue()), w.getKey() + ": " + reason);
            assertTrue(!reason.contains("\n"), reason);
        }
        assertTrue(reasons.get("keyless").contains("has no record key"), reasons.get("keyless"));
        assertEquals(expectedDead, dead.size(), reasons.toString());
        assertEquals(Set.copyOf(good), new java.util.HashSet<>(captions.stream().map(ConsumerRecord::key)
                .filter(k -> !k.startsWith("l-burst-")).toList()));
        assertEquals(good.size() + 9, captions.size());
        for (int k = 0; k < 3; k++) {
            String key = "l-burst-" + k;
            assertEquals(List.of(1000L, 1001L, 1002L), captions.stream().filter(r -> r.key().equals(key))
                    .map(r -> Caption.CODEC.fromRecord(r).timings().get("submit")).toList(), key + " in per-key order");
        }
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(ready).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), "the stage keeps running: " + health.body());
    }
}
