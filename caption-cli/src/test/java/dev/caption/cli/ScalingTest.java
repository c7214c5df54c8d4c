package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.caption.broker.CommittedRecords;
import dev.caption.broker.LocalKafkaExtension;
import dev.caption.cli.pipeline.LocalPipeline;
import dev.caption.cli.pipeline.ServiceProcess;
import dev.caption.cli.streams.Publisher;
import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.Caption;
import dev.caption.nn.shapes.ShapesDataset;

/**
 * Horizontal scaling on the real local broker: 4 partitions, two encoder-service and two llm-service processes in
 * their groups (plus one adapter-service). Both replicas of each get partitions; one of each is SIGKILLed
 * mid-stream; the survivors take over, and every image gets exactly one caption (read_committed).
 */
class ScalingTest {

    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    private static final Path HOME = Path.of("..").toAbsolutePath().normalize();
    private static final int IMAGES = 160;

    @TempDir
    Path tmp;

    @Test
    void survivorsTakeOverAfterSigkillAndEveryImageGetsExactlyOneCaption() throws Exception {
        Topics topics = Topics.withPrefix("scale.").withPartitions(4);
        KafkaSettings settings = KafkaSettings.of(KAFKA.bootstrapServers());
        TopicAdmin.ensure(settings, topics);
        LocalPipeline.Models tiny = LocalPipeline.Models.synthetic();
        String clip = tiny.clip();
        String llm = tiny.llm();
        Path adapter = tiny.adapter();
        Map<String, String> common = new LinkedHashMap<>();
        common.put("kafka.bootstrap.servers", KAFKA.bootstrapServers());
        common.put("caption.topics.prefix", "scale.");
        common.put("caption.topics.partitions", "4");
        common.put("caption.loop.max-batch", "4");
        common.put("caption.loop.max-wait", "PT0.02S");
        // a dead replica's partitions and open transaction are released in seconds, not the defaults' minute
        common.put("kafka.session.timeout.ms", "8000");
        common.put("kafka.transaction.timeout.ms", "8000");
        List<ServiceProcess> all = new ArrayList<>();
        Path logs = tmp.resolve("logs");
        try {
            ServiceProcess encA = start("encoder-service", "encoder-a", common, Map.of("caption.encoder.model", clip), logs, all);
            ServiceProcess encB = start("encoder-service", "encoder-b", common, Map.of("caption.encoder.model", clip), logs, all);
            start("adapter-service", "adapter-a", common, Map.of("caption.adapter.path", adapter.toString()), logs, all);
            ServiceProcess llmA = start("llm-service", "llm-a", common, Map.of("caption.llm.model", llm,
                    "caption.llm.max-new-tokens", "16"), logs, all);
            ServiceProcess llmB = start("llm-service", "llm-b", common, Map.of("caption.llm.model", llm,
                    "caption.llm.max-new-tokens", "16"), logs, all);
            for (ServiceProcess s : all) {
                s.awaitReady(Duration.ofMinutes(3));
            }
            // both replicas of each service receive partitions (awaitTwoMembers fails otherwise)
            assertEquals(Set.of("encoder-a", "encoder-b"), awaitTwoMembers("caption-encoder").keySet());
            assertEquals(Set.of("llm-a", "llm-b"), awaitTwoMembers("caption-llm").keySet());

            Path images = tmp.resolve("images");
            Files.createDirectories(images);
            List<String> ids = new ArrayList<>();
            for (ShapesDataset.Sample s : ShapesDataset.generate(IMAGES, 64, 5)) {
                Files.write(images.resolve(s.id() + ".png"), s.png());
                ids.add(s.id());
            }
            try (Publisher publisher = new Publisher(settings, topics)) {
                assertEquals(IMAGES, publisher.publishImages(ImageInputs.expand(List.of(images.toString())),
                        Publisher.IdFrom.PATH, false).published());
            }
            // mid-stream: some captions are out, most are not
            int seen = awaitCaptions(topics.name(Topic.CAPTIONS), 12);
            encB.kill();
            llmB.kill();
            assertTrue(seen < IMAGES, "killed mid-stream (" + seen + " of " + IMAGES + " captioned)");
            assertTrue(encA.alive() && llmA.alive());

            assertEquals(IMAGES, CommittedRecords.read(KAFKA.bootstrapServers(), topics.name(Topic.CAPTIONS), IMAGES,
                    Duration.ofSeconds(150)).size(), "captions within 150 s");
            // then a while longer: a duplicate would show up as one record more
            List<ConsumerRecord<String, byte[]>> captions = CommittedRecords.read(KAFKA.bootstrapServers(),
                    topics.name(Topic.CAPTIONS), IMAGES + 1, Duration.ofSeconds(10));
            Map<String, Integer> perImage = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : captions) {
                perImage.merge(Caption.CODEC.fromRecord(r).id(), 1, Integer::sum);
            }
            assertEquals(new HashSet<>(ids), perImage.keySet(), "every image captioned");
            assertTrue(perImage.values().stream().allMatch(n -> n == 1), "exactly one caption each: " + perImage);
            assertEquals(IMAGES, captions.size());
        } finally {
            all.forEach(ServiceProcess::close);
        }
    }

    private static ServiceProcess start(String module, String name, Map<String, String> common, Map<String, String> own,
                                        Path logs, List<ServiceProcess> all) throws Exception {
        Map<String, String> p = new LinkedHashMap<>(common);
        p.putAll(own);
        p.put("caption.loop.instance-id", name);
        ServiceProcess s = ServiceProcess.start(HOME, module, name, p, logs, "768m");
        all.add(s);
        return s;
    }

    /** Member (instance id) to assigned partitions, once the group has two members with assignments. */
    private static Map<String, Set<Integer>> awaitTwoMembers(String group) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            Map<String, Set<Integer>> out = new HashMap<>();
            for (int i = 0; i < 300; i++) {
                ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                out.clear();
                for (MemberDescription member : d.members()) {
                    Set<Integer> parts = new HashSet<>();
                    member.assignment().topicPartitions().forEach(tp -> parts.add(tp.partition()));
                    out.put(member.groupInstanceId().orElse(member.consumerId()), parts);
                }
                if (out.size() == 2 && out.values().stream().mapToInt(Set::size).sum() == 4
                        && out.values().stream().noneMatch(Set::isEmpty)) {
                    return out;
                }
                Thread.sleep(200);
            }
            throw new AssertionError(group + " never had two members each with partitions: " + out);
        }
    }

    /** Waits until at least {@code n} committed captions exist; returns how many were seen. */
    private static int awaitCaptions(String topic, int n) throws Exception {
        Map<String, Object> c = new HashMap<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "scaling-watch", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
        int seen = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (seen < n && System.nanoTime() < deadline) {
                seen += consumer.poll(Duration.ofMillis(100)).count();
            }
        }
        if (seen < n) {
            throw new AssertionError("only " + seen + " captions within 3 minutes");
        }
        return seen;
    }
}
