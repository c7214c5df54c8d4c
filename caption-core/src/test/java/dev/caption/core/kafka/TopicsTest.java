package dev.caption.core.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void namesCarryTheDeploymentPrefix() {
        Topics topics = Topics.withPrefix("staging.");
        assertEquals("staging.caption.images", topics.name(Topic.IMAGES));
        assertEquals("caption.dlq", Topics.defaults().name(Topic.DLQ));
    }

    @Test
    void everyTopicHasTheSamePartitionCountAndReferencesAreCompacted() {
        Topics topics = Topics.defaults().withPartitions(6);
        Map<String, NewTopic> byName = new java.util.HashMap<>();
        topics.newTopics().forEach(t -> byName.put(t.name(), t));
        assertEquals(Topic.values().length, byName.size());
        byName.values().forEach(t -> assertEquals(6, t.numPartitions(), t.name()));
        assertEquals("compact", byName.get("caption.references").configs().get("cleanup.policy"));
        assertEquals("delete", byName.get("caption.captions").configs().get("cleanup.policy"));
        int maxBytes = Integer.parseInt(byName.get("caption.images").configs().get("max.message.bytes"));
        assertTrue(maxBytes > topics.maxImageBytes());
    }

    @Test
    void shortNamesParseAndUnknownOnesAreNamed() {
        assertEquals(Topic.SCORES, Topic.parse("scores"));
        assertEquals(Topic.DLQ, Topic.parse("caption.dlq"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Topic.parse("captionz"));
        assertTrue(e.getMessage().contains("images, audio, features, prefixes, captions"), e.getMessage());
    }
}
