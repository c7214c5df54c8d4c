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
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.caption.broker.CommittedRecords;
import dev.caption.broker.LocalKafkaResource;
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
class AdapterServiceTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    AdapterModel model;

    private static Tensor features(long seed, int tokens) {
        Random r = new Random(seed);
        float[] v = new float[tokens * 48];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.ofFloats(DType.F16, new long[] {tokens, 48}, v);
    }

    @Test
    void projectsFeaturesDeadLettersMismatchesAndSwitchesToANewVersionWithoutLoss() throws Exception {
        Tensor good = features(1, 16);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(FeatureFrame.CODEC.toRecord("caption.features",
                    new FeatureFrame("img-1", good, TestAdapters.ENCODER, "local", -2, false))).get();
            producer.send(FeatureFrame.CODEC.toRecord("caption.features",
                    new FeatureFrame("img-other", good, "openai/clip-vit-large-patch14", "main", -2, false))).get();
            producer.send(FeatureFrame.CODEC.toRecord("caption.features",
                    new FeatureFrame("img-short", features(2, 9), TestAdapters.ENCODER, "local", -2, false))).get();
            float[] nan = good.toFloats();
            nan[5] = Float.NaN;
            producer.send(FeatureFrame.CODEC.toRecord("caption.features", new FeatureFrame("img-nan",
                    Tensor.ofFloats(DType.F16, good.shape(), nan), TestAdapters.ENCODER, "local", -2, false))).get();
            // no key: the image id is in the frame, but a stage never re-keys a record
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("caption.features", null,
                    FeatureFrame.CODEC.toRecord("caption.features",
                            new FeatureFrame("img-keyless", good, TestAdapters.ENCODER, "local", -2, false)).value())).get();

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
            for (int i = 0; i < 200 && !model.current().spec().id().equals("mean-v2"); i++) {
                Thread.sleep(50);
            }
            assertEquals("mean-v2", model.current().spec().id());
            for (int i = 0; i < 5; i++) {
                producer.send(FeatureFrame.CODEC.toRecord("caption.features",
                        new FeatureFrame("img-v2-" + i, features(10 + i, 16), TestAdapters.ENCODER, "local", -2, false))).get();
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
}
