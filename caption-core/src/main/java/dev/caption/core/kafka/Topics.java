package dev.caption.core.kafka;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

import dev.caption.core.message.ImageEvent;

/**
 * The topic layout of one deployment: a name prefix (for several pipelines on one cluster), the partition count
 * and the image size limit.
 *
 * <p>Every data topic has the same partition count, and every stage keys by image id: the references and
 * captions topics must be co-partitioned for the eval-service join, and the count caps how many replicas of a
 * stage can share the work.
 *
 * @param prefix        prepended to every name ("" for none, "staging." for example)
 * @param partitions    partitions of every topic
 * @param replication   replication factor (1 on the local broker)
 * @param maxImageBytes the largest image the pipeline accepts; the images topic allows records a little larger
 */
public record Topics(String prefix, int partitions, short replication, int maxImageBytes) {

    public static final int DEFAULT_PARTITIONS = 4;
    /** Room for the key and headers around the largest image. */
    public static final int RECORD_OVERHEAD_BYTES = 64 * 1024;

    public Topics {
        if (prefix == null) {
            prefix = "";
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        if (replication < 1) {
            throw new IllegalArgumentException("replication must be at least 1, got " + replication);
        }
        if (maxImageBytes < 1) {
            throw new IllegalArgumentException("maxImageBytes must be positive, got " + maxImageBytes);
        }
    }

    public static Topics defaults() {
        return withPrefix("");
    }

    public static Topics withPrefix(String prefix) {
        return new Topics(prefix, DEFAULT_PARTITIONS, (short) 1, ImageEvent.DEFAULT_MAX_IMAGE_BYTES);
    }

    public Topics withPartitions(int count) {
        return new Topics(prefix, count, replication, maxImageBytes);
    }

    public Topics withMaxImageBytes(int bytes) {
        return new Topics(prefix, partitions, replication, bytes);
    }

    public String name(Topic topic) {
        return prefix + topic.baseName();
    }

    /** The largest record (key + value + headers) any topic must accept: the image limit plus overhead. */
    public int maxRecordBytes() {
        return maxImageBytes + RECORD_OVERHEAD_BYTES;
    }

    /** Topic specifications to create, in pipeline order. */
    public List<NewTopic> newTopics() {
        List<NewTopic> list = new ArrayList<>();
        for (Topic t : Topic.values()) {
            Map<String, String> configs = new LinkedHashMap<>();
            configs.put(TopicConfig.CLEANUP_POLICY_CONFIG,
                    t.compacted() ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE);
            if (t == Topic.IMAGES || t == Topic.AUDIO || t == Topic.DLQ) {
                // dead letters carry the original record, so the DLQ must take an image or a clip too
                configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxRecordBytes()));
            }
            list.add(new NewTopic(name(t), partitions, replication).configs(configs));
        }
        return list;
    }
}
