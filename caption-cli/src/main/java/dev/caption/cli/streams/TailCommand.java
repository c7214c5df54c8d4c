package dev.caption.cli.streams;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import dev.caption.cli.KafkaOptions;
import dev.caption.cli.CaptionCommand;

@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Print a pipeline topic as records arrive (read_committed). Ctrl-C exits cleanly."})
public final class TailCommand extends CaptionCommand {

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--topic", paramLabel = "images|features|prefixes|captions|references|scores|metrics|dlq",
            split = ",", description = "Topics to follow (repeat or comma-separate; default: captions).")
    List<String> topicNames;

    @Option(names = "--from-beginning", description = "Start at the oldest record instead of new ones only.")
    boolean fromBeginning;

    @Option(names = "--json", description = "One JSON object per record (machine output).")
    boolean json;

    @Option(names = "--until-end", description = "Exit once the records present at start have been printed.")
    boolean untilEnd;

    @Option(names = "--max", paramLabel = "N", description = "Exit after N records.")
    Long max;

    @Override
    public Integer call() {
        List<Topic> topics = new ArrayList<>();
        for (String name : topicNames == null ? List.of("captions") : topicNames) {
            topics.add(Topic.parse(name));
        }
        return tail(kafka.settings(), kafka.topics(), topics, fromBeginning, untilEnd, max, json, out());
    }

    /** Shared with demo: prints until Ctrl-C, the end (untilEnd), or max records; returns the exit status. */
    static int tail(KafkaSettings settings, Topics layout, List<Topic> topics, boolean fromBeginning, boolean untilEnd,
                    Long max, boolean json, PrintWriter out) {
        Map<String, Object> c = new LinkedHashMap<>(settings.clientConfig());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, layout.maxRecordBytes());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "caption-tail");
        Map<String, Topic> byName = new HashMap<>();
        topics.forEach(t -> byName.put(layout.name(t), t));
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            consumer.wakeup();
            try {
                done.await();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "tail-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        long printed = 0;
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String name : byName.keySet()) {
                List<PartitionInfo> infos = consumer.partitionsFor(name, Duration.ofSeconds(30));
                if (infos == null || infos.isEmpty()) {
                    throw new IllegalArgumentException("topic " + name + " does not exist on " + settings.bootstrapServers()
                            + " (create it with 'caption topics')");
                }
                infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            }
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            Map<TopicPartition, Long> end = untilEnd ? consumer.endOffsets(partitions) : Map.of();
            while (true) {
                if (untilEnd && partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
                    break;
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    Topic topic = byName.get(r.topic());
                    out.println(json ? RecordFormatter.json(topic, r) : RecordFormatter.human(topic, r));
                    out.flush();
                    if (max != null && ++printed >= max) {
                        return 0;
                    }
                }
            }
            return 0;
        } catch (WakeupException e) {
            return 0;      // Ctrl-C
        } finally {
            consumer.close(Duration.ofSeconds(2));
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
    }
}
