package dev.caption.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.broker.CommittedRecords;
import dev.caption.broker.LocalKafkaResource;
import dev.caption.broker.MatrixRows;
import dev.caption.core.message.Modality;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.FeatureFrame;
import dev.caption.core.message.PrefixFrame;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.qwen3.Prompt;
import dev.caption.tensor.DType;
import dev.caption.tensor.Tensor;

/**
 * The service on a real local broker: features in, fp16 prefixes out with the adapter id, mismatched features
 * dead-lettered, and a new adapter version switched in between batches without losing a record.
 */
@QuarkusTest
@QuarkusTestResource(LocalKafkaResource.class)
@QuarkusTestResource(AdapterResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdapterServiceTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    AdapterModel model;

    @io.quarkus.test.common.http.TestHTTPResource("/q/health/ready")
    java.net.URI ready;

    private static Tensor features(long seed, int tokens) {
        Random r = new Random(seed);
        float[] v = new float[tokens * 48];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.ofFloats(DType.F16, new long[] {tokens, 48}, v);
    }

    @Test
    @Order(1)
    void projectsFeaturesDeadLettersMismatchesAndSwitchesToANewVersionWithoutLoss() throws Exception {
        Tensor good = features(1, 16);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(FeatureFrame.CODEC.toRecord("caption.features",
                    new FeatureFrame("img-1", good, TestAdapters.ENCODER, "local", -2, false, Modality.IMAGE))).get();
            producer.send(FeatureFrame.CODEC.toRecord("caption.features",
                    new FeatureFrame("img-other", good, "openai/clip-vit-large-patch14", "main", -2, false, Modality.IMAGE))).get();
            producer.send(FeatureFrame.CODEC.toRecord("caption.features",
                    new FeatureFrame("img-short", features(2, 9), TestAdapters.ENCODER, "local", -2, false, Modality.IMAGE))).get();
            float[] nan = good.toFloats();
            nan[5] = Float.NaN;
            producer.send(FeatureFrame.CODEC.toRecord("caption.features", new FeatureFrame("img-nan",
                    Tensor.ofFloats(DType.F16, good.shape(), nan), TestAdapters.ENCODER, "local", -2, false, Modality.IMAGE))).get();
            // no key: the image id is in the frame, but a stage never re-keys a record
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("caption.features", null,
                    FeatureFrame.CODEC.toRecord("caption.features",
                            new FeatureFrame("img-keyless", good, TestAdapters.ENCODER, "local", -2, false, Modality.IMAGE)).value())).get();

            List<ConsumerRecord<String, byte[]>> prefixes = CommittedRecords.read(bootstrap, "caption.prefixes", 1, Duration.ofSeconds(60));
            PrefixFrame p = PrefixFrame.CODEC.fromRecord(prefixes.get(0));
            assertEquals("img-1", p.id());
            assertEquals("avgpool-v1", p.adapter());
            assertEquals(TestAdapters.LLM, p.llmModel());
            assertEquals(Optional.of(Prompt.IMAGE.template()), p.prompt());
            assertEquals(DType.F16, p.prefix().dtype());
            // what the adapter computes for these features, rounded to fp16 as on the wire
            try (NDManager m = NDManager.newBaseManager(); Adapter a = Adapter.load(TestAdapters.DIR, m); NDManager s = a.newScope()) {
                float[] want = Tensor.ofFloats(DType.F16, new long[] {4, 32},
                        a.forward(s.create(good.toFloats(), new Shape(1, 16, 48))).toFloatArray()).toFloats();
                float[] got = p.prefix().toFloats();
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-3 * Math.max(1, Math.abs(want[i])), "prefix[" + i + "]");
                }
            }
            List<ConsumerRecord<String, byte[]>> dead = CommittedRecords.read(bootstrap, "caption.dlq", 4, Duration.ofSeconds(60));
            Map<String, String> reasons = new HashMap<>();
            dead.forEach(d -> reasons.put(d.key() == null ? "(no key)" : d.key(), CaptionHeaders.get(d.headers(), CaptionHeaders.DLQ_REASON)));
            assertEquals("features frame 'img-nan': tensor 'features' holds 1 NaN and 0 infinite values (of 768)",
                    reasons.get("img-nan"));
            assertEquals("features frame 'img-keyless' has no record key; the key must be the image id", reasons.get("(no key)"));
            assertEquals("features do not fit adapter avgpool-v1: encoder openai/clip-vit-large-patch14 (adapter: "
                    + "clip-tiny-test)", reasons.get("img-other"));
            assertEquals("features do not fit adapter avgpool-v1: shape [9 x 48] (adapter: [16 x 48])", reasons.get("img-short"));

            // a new version lands in the directory: the service switches between batches
            TestAdapters.write("mean-v2", "mean", 2);
            for (int i = 0; i < 200 && !model.current("image").spec().id().equals("mean-v2"); i++) {
                Thread.sleep(50);
            }
            assertEquals("mean-v2", model.current("image").spec().id());
            for (int i = 0; i < 5; i++) {
                producer.send(FeatureFrame.CODEC.toRecord("caption.features",
                        new FeatureFrame("img-v2-" + i, features(10 + i, 16), TestAdapters.ENCODER, "local", -2, false, Modality.IMAGE))).get();
            }
            List<ConsumerRecord<String, byte[]>> all = CommittedRecords.read(bootstrap, "caption.prefixes", 6, Duration.ofSeconds(60));
            assertEquals(6, all.size());
            for (ConsumerRecord<String, byte[]> r : all.subList(1, 6)) {
                PrefixFrame f = PrefixFrame.CODEC.fromRecord(r);
                assertEquals("mean-v2", f.adapter(), f.id());
                assertEquals(1, f.prefix().dim(0));
            }
        }
    }

    /** A safetensors blob written by hand, as an outside client would: 8-byte little-endian header length, header, data. */
    private static byte[] blob(String header, byte[] data) {
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + h.length + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    private static final String META = "\"__metadata__\":{\"kind\":\"features\",\"encoder.model\":\"" + TestAdapters.ENCODER
            + "\",\"encoder.revision\":\"local\",\"encoder.layer\":\"-2\",\"encoder.cls\":\"false\"}";

    /** A [tokens, 48] features tensor in {@code dtype} holding {@code values}, with {@code meta} as its metadata. */
    private static byte[] frame(String dtype, int tokens, float[] values, String meta) {
        int width = dtype.equals("F32") ? 4 : 2;
        java.nio.ByteBuffer d = java.nio.ByteBuffer.allocate(values.length * width).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case "F32" -> d.putFloat(v);
                case "F16" -> d.putShort(dev.caption.tensor.Float16.fromFloat(v));
                default -> d.putShort((short) (Float.floatToIntBits(v) >>> 16));           // BF16
            }
        }
        return blob("{\"features\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + tokens + ",48],\"data_offsets\":[0,"
                + d.capacity() + "]}" + (meta.isEmpty() ? "" : "," + meta) + "}", d.array());
    }

    private static float[] values(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /**
     * Raw records of every kind of bad frame, through a plain producer: each good one comes out as a prefix, each bad
     * one as a dead letter whose reason names the problem, nothing is lost, per-key order holds in a mixed burst,
     * and the service stays ready.
     */
    @Test
    @Order(2)
    void everyBadFrameIsADeadLetterSayingWhyEveryGoodOneComesOutAndTheStageStaysUp() throws Exception {
        float[] good = values(16 * 48, 1);
        float[] nan = good.clone();
        nan[7] = Float.NaN;
        float[] inf = good.clone();
        inf[9] = Float.NEGATIVE_INFINITY;
        byte[] f16 = frame("F16", 16, good, META);
        byte[] trailing = java.util.Arrays.copyOf(f16, f16.length + 3);
        byte[] hugeHeader = new byte[16];
        java.nio.ByteBuffer.wrap(hugeHeader).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
        byte[] truncatedHeader = java.util.Arrays.copyOf(f16, 20);
        Map<String, byte[]> bad = new java.util.LinkedHashMap<>();
        Map<String, String> why = new HashMap<>();
        bad.put("m-garbage", "this is not a tensor".getBytes());
        why.put("m-garbage", "not a valid safetensors blob: safetensors header length");
        bad.put("m-huge-header", hugeHeader);
        why.put("m-huge-header", "header length 1099511627776 is outside 1..1048576");
        bad.put("m-truncated-header", truncatedHeader);
        why.put("m-truncated-header", "(truncated blob?)");
        bad.put("m-trailing", trailing);
        why.put("m-trailing", "data section has 1539 bytes but the tensors cover 1536");
        bad.put("m-short-data", java.util.Arrays.copyOf(f16, f16.length - 10));
        why.put("m-short-data", "outside the data section of 1526 bytes");
        bad.put("m-duplicate-keys", blob("{\"features\":{\"dtype\":\"F16\",\"shape\":[16,48],\"data_offsets\":[0,1536]},"
                + "\"features\":{\"dtype\":\"F16\",\"shape\":[16,48],\"data_offsets\":[0,1536]}," + META + "}", new byte[1536]));
        why.put("m-duplicate-keys", "Duplicate field 'features'");
        bad.put("m-shape-overflow", blob("{\"features\":{\"dtype\":\"F16\",\"shape\":[4294967296,4294967296],"
                + "\"data_offsets\":[0,1536]}," + META + "}", new byte[1536]));
        why.put("m-shape-overflow", "whose byte size overflows");
        bad.put("m-wrong-shape", frame("F16", 9, values(9 * 48, 2), META));
        why.put("m-wrong-shape", "shape [9 x 48] (adapter: [16 x 48])");
        bad.put("m-wrong-encoder", frame("F16", 16, good, META.replace(TestAdapters.ENCODER, "openai/clip-vit-large-patch14")));
        why.put("m-wrong-encoder", "encoder openai/clip-vit-large-patch14");
        bad.put("m-wrong-layer", frame("F16", 16, good, META.replace("\"-2\"", "\"-1\"")));
        why.put("m-wrong-layer", "layer -1 (adapter: -2)");
        bad.put("m-wrong-cls", frame("F16", 16, good, META.replace("\"false\"", "\"true\"")));
        why.put("m-wrong-cls", "with CLS (adapter: without)");
        bad.put("m-wrong-dtype", blob("{\"features\":{\"dtype\":\"I32\",\"shape\":[16,48],\"data_offsets\":[0,3072]},"
                + META + "}", new byte[3072]));
        why.put("m-wrong-dtype", "must be F16, BF16 or F32");
        bad.put("m-wrong-name", blob("{\"feats\":{\"dtype\":\"F16\",\"shape\":[16,48],\"data_offsets\":[0,1536]},"
                + META + "}", new byte[1536]));
        why.put("m-wrong-name", "has no tensor 'features'");
        bad.put("m-no-metadata", frame("F16", 16, good, ""));
        why.put("m-no-metadata", "lacks metadata");
        bad.put("m-id-not-key", frame("F16", 16, good, META.replace("{\"kind\"", "{\"id\":\"someone-else\",\"kind\"")));
        why.put("m-id-not-key", "does not match the record key 'm-id-not-key'");
        bad.put("m-nan", frame("F16", 16, nan, META));
        why.put("m-nan", "holds 1 NaN and 0 infinite values");
        bad.put("m-inf", frame("F32", 16, inf, META));
        why.put("m-inf", "holds 0 NaN and 1 infinite values");
        bad.put("m-empty", new byte[0]);
        why.put("m-empty", "not a valid safetensors blob");
        bad.put("m-null", null);
        why.put("m-null", "blob is missing (null)");

        Map<String, byte[]> goodOnes = new java.util.LinkedHashMap<>();
        goodOnes.put("m-good-f16", f16);
        goodOnes.put("m-good-f32", frame("F32", 16, good, META));
        goodOnes.put("m-good-bf16", frame("BF16", 16, good, META));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            java.util.function.BiConsumer<String, byte[]> send = (key, value) -> {
                try {
                    producer.send(MatrixRows.tag(new org.apache.kafka.clients.producer.ProducerRecord<>("caption.features",
                            key, value), key)).get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            bad.forEach(send);
            goodOnes.forEach(send);
            producer.send(MatrixRows.tag(new org.apache.kafka.clients.producer.ProducerRecord<String, byte[]>(
                    "caption.features", null, f16), "m-no-key")).get();
            // a burst mixing good and bad records: 5 keys x 4 good frames each, in order, with bad ones between
            for (int seq = 0; seq < 4; seq++) {
                for (int k = 0; k < 5; k++) {
                    var r = new org.apache.kafka.clients.producer.ProducerRecord<String, byte[]>("caption.features",
                            "m-burst-" + k, frame("F16", 16, values(16 * 48, 100 + seq), META));
                    r.headers().add(CaptionHeaders.SUBMIT_TIME, Long.toString(1000 + seq).getBytes());
                    producer.send(r);
                    send.accept("m-burst-bad-" + seq + "-" + k, "junk".getBytes());
                }
            }
            producer.flush();
        }
        int expectedDead = bad.size() + 1 + 20;
        int expectedOut = goodOnes.size() + 20;
        List<ConsumerRecord<String, byte[]>> dead = MatrixRows.readTagged(bootstrap, "caption.dlq", expectedDead,
                Duration.ofSeconds(90));
        List<ConsumerRecord<String, byte[]>> out = CommittedRecords.read(bootstrap, "caption.prefixes",
                r -> r.key() != null && r.key().startsWith("m-"), expectedOut, Duration.ofSeconds(90));
        Map<String, String> reasons = MatrixRows.byRow(dead, d -> CaptionHeaders.get(d.headers(), CaptionHeaders.DLQ_REASON));
        for (Map.Entry<String, String> w : why.entrySet()) {
            String reason = reasons.get(w.getKey());
            assertTrue(reason != null && reason.contains(w.getValue()), w.getKey() + ": " + reason);
            assertTrue(!reason.contains("\n") && !reason.contains("[Source"), w.getKey() + ": " + reason);
        }
        assertTrue(reasons.get("m-no-key").contains("has no record key"), reasons.get("m-no-key"));
        // records in = outputs + dead letters, exactly: nothing lost, nothing doubled
        assertEquals(expectedDead, dead.size(), reasons.keySet().toString());
        assertEquals(expectedOut, out.size());
        assertEquals(goodOnes.keySet(), new java.util.HashSet<>(out.stream().map(ConsumerRecord::key)
                .filter(k -> !k.startsWith("m-burst-")).toList()));
        for (int k = 0; k < 5; k++) {
            String key = "m-burst-" + k;
            List<String> order = out.stream().filter(r -> r.key().equals(key))
                    .map(r -> CaptionHeaders.get(r.headers(), CaptionHeaders.SUBMIT_TIME)).toList();
            assertEquals(List.of("1000", "1001", "1002", "1003"), order, key + " in per-key order");
        }
        var health = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(ready).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), "the stage keeps running: " + health.body());
    }
    /**
     * An adapter that the PyTorch reference module wrote (python/make_fixtures.py, service-conv) is served as it is:
     * the prefixes on the topic are Python's, within the fp16 rounding of the wire.
     */
    @Test
    @Order(3)
    void anAdapterWrittenInPyTorchServesThePrefixesPythonComputed() throws Exception {
        java.nio.file.Path python = java.nio.file.Path.of("..", "caption-nn", "src", "test", "resources", "fixtures",
                "adapters-torch", "service-conv");
        // weights first, then the spec: a half-copied version fails to load and the old one keeps serving
        for (String f : new String[] {dev.caption.nn.adapter.AdapterSpec.WEIGHTS, dev.caption.nn.adapter.AdapterSpec.JSON}) {
            java.nio.file.Files.copy(python.resolve(f), TestAdapters.DIR.resolve(f),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        for (int i = 0; i < 200 && !model.current("image").spec().id().equals("python-conv"); i++) {
            Thread.sleep(50);
        }
        assertEquals("python-conv", model.current("image").spec().id());
        dev.caption.tensor.SafetensorsBlob ref = dev.caption.tensor.Safetensors.decode(
                java.nio.file.Files.readAllBytes(python.resolve("reference.safetensors")));
        float[] features = ref.tensor("features").toFloats();          // [2, 16, 48], fp16-exact
        float[] want = ref.tensor("output").toFloats();                // [2, 4, 32]
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int b = 0; b < 2; b++) {
                Tensor frame = Tensor.ofFloats(DType.F16, new long[] {16, 48},
                        java.util.Arrays.copyOfRange(features, b * 16 * 48, (b + 1) * 16 * 48));
                producer.send(FeatureFrame.CODEC.toRecord("caption.features",
                        new FeatureFrame("py-" + b, frame, TestAdapters.ENCODER, "local", -2, false, Modality.IMAGE))).get();
            }
        }
        List<ConsumerRecord<String, byte[]>> out = CommittedRecords.read(bootstrap, "caption.prefixes",
                r -> r.key() != null && r.key().startsWith("py-"), 2, Duration.ofSeconds(60));
        assertEquals(2, out.size());
        double worst = 0;
        for (ConsumerRecord<String, byte[]> r : out) {
            PrefixFrame p = PrefixFrame.CODEC.fromRecord(r);
            assertEquals("python-conv", p.adapter());
            int b = Integer.parseInt(p.id().substring(3));
            float[] got = p.prefix().toFloats();
            assertEquals(4 * 32, got.length);
            for (int i = 0; i < got.length; i++) {
                float py = want[b * got.length + i];
                // the wire carries fp16: Python's value rounded to fp16, give or take one fp16 step
                float onWire = Tensor.ofFloats(DType.F16, new long[] {1}, new float[] {py}).toFloats()[0];
                float ulp = Math.max(Math.ulp(1f) * 8192 * Math.abs(py), 6e-8f);
                assertTrue(Math.abs(got[i] - onWire) <= ulp, p.id() + "[" + i + "]: " + got[i] + " vs Python " + py);
                worst = Math.max(worst, Math.abs(got[i] - py) / Math.max(Math.abs(py), 1e-3));
            }
        }
        System.out.printf("python-conv through the adapter-service: worst |prefix - Python| / |Python| %.1e (fp16 wire)%n",
                worst);
    }
}
