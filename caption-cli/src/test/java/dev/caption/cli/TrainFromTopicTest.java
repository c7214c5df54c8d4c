package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.caption.broker.LocalKafkaExtension;
import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.Modality;
import dev.caption.core.message.FeatureFrame;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.nn.clip.ClipSpec;
import dev.caption.image.ImageDecoder;
import dev.caption.image.RgbImage;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.train.FeatureCache;
import dev.caption.tensor.DType;
import dev.caption.tensor.Tensor;

/** `caption train --features-from-topic` fills the feature cache from caption.features instead of re-running CLIP. */
class TrainFromTopicTest {

    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");

    @TempDir
    Path tmp;

    @Test
    void featuresOnTheTopicAreCachedAndOnlyTheRestIsEncoded() throws Exception {
        Path data = tmp.resolve("shapes");
        assertEquals(0, CliRun.of("dataset", "synth", "--out", data.toString(), "--count", "30", "--size", "64").status());
        List<Path> images;
        try (var files = Files.list(data.resolve("Images"))) {
            images = files.sorted().toList();
        }
        String clip = FIXTURES.resolve("clip-tiny").toString();
        Topics topics = Topics.withPrefix("tf.");
        TopicAdmin.ensure(KafkaSettings.of(KAFKA.bootstrapServers()), topics);
        List<float[]> expected = new ArrayList<>();
        // what the encoder-service would have emitted for 25 of the 30 images (fp16 on the wire)
        try (ClipEncoder encoder = ClipSpec.builder(clip).build().open(HubEnvironment.fromSystem(), DownloadListener.NONE);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                     new StringSerializer(), new ByteArraySerializer())) {
            ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
            for (Path img : images.subList(0, 25)) {
                RgbImage rgb = decoder.decode(Files.readAllBytes(img));
                ClipEncoder.Features f = encoder.encode(List.of(rgb)).get(0);
                String id = img.getFileName().toString().replace(".png", "");
                Tensor t = Tensor.ofFloats(DType.F16, new long[] {f.tokens(), f.dim()}, f.values());
                expected.add(t.toFloats());
                producer.send(FeatureFrame.CODEC.toRecord(topics.name(dev.caption.core.kafka.Topic.FEATURES),
                        new FeatureFrame(id, t, encoder.modelId(), "local", -2, false, Modality.IMAGE))).get();
            }
            // features of another layer are not taken
            producer.send(FeatureFrame.CODEC.toRecord(topics.name(dev.caption.core.kafka.Topic.FEATURES),
                    new FeatureFrame(images.get(26).getFileName().toString().replace(".png", ""),
                            Tensor.ofFloats(DType.F16, new long[] {16, 48}, new float[16 * 48]), clip, "local", -1, false, Modality.IMAGE))).get();
        }
        Path features = tmp.resolve("features");
        CliRun run = CliRun.of("train", "--data", data.toString(), "--clip", clip, "--llm", FIXTURES.resolve("qwen3-tiny").toString(),
                "--features", features.toString(), "--features-from-topic", "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--topic-prefix", "tf.", "--out", tmp.resolve("run").toString(), "--epochs", "1", "--lr", "1e-2");
        assertEquals(0, run.status(), run.err());
        assertTrue(run.err().contains("tf.caption.features: 25 images taken into the feature cache, 1 skipped as other features"),
                run.err());
        assertTrue(run.err().contains("encoding 5 images"), run.err());
        try (FeatureCache cache = FeatureCache.open(features, new FeatureCache.Source(clip, "local", -2, false, 16, 48, "image"))) {
            assertArrayEquals(expected.get(3), cache.features(images.get(3).getFileName().toString().replace(".png", "")));
            assertEquals(30, cache.ids().size());
        }
    }
}
