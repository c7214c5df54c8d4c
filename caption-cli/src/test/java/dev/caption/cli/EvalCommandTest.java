package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import dev.caption.broker.CommittedRecords;
import dev.caption.broker.LocalKafkaExtension;
import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.Caption;
import dev.caption.core.message.Json;
import dev.caption.core.message.References;
import dev.caption.core.message.Score;

/** `caption eval` replays the captions topic against the references topic and scores it as bert_score does. */
class EvalCommandTest {

    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    private static final Path FIXTURES = Path.of("..", "caption-nn", "src", "test", "resources", "fixtures");

    @Test
    void replayScoresEveryCaptionWithReferencesWritesTaggedScoresAndRepeatsExactly() throws Exception {
        JsonNode expected = Json.MAPPER.readTree(FIXTURES.resolve("bertscore.expected.json").toFile());
        JsonNode want = expected.get("models").get("roberta-tiny").get("settings").get("idf_true");
        Topics topics = Topics.withPrefix("ev.").withPartitions(2);
        TopicAdmin.ensure(KafkaSettings.of(KAFKA.bootstrapServers()), topics);
        double meanF = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            int i = 0;
            for (JsonNode c : expected.get("cases")) {
                String id = "case-" + i;
                List<String> refs = Json.MAPPER.convertValue(c.get("references"), List.class);
                producer.send(References.CODEC.toRecord(topics.name(Topic.REFERENCES), new References(id, refs))).get();
                producer.send(Caption.CODEC.toRecord(topics.name(Topic.CAPTIONS), new Caption(id,
                        c.get("candidate").asText(), 4, "qwen3-tiny", null, "mean-k1", null, Map.of()))).get();
                meanF += want.get("F").get(i).asDouble() / 8;
                i++;
            }
            // a caption without references and a malformed record are counted, not scored
            producer.send(Caption.CODEC.toRecord(topics.name(Topic.CAPTIONS),
                    new Caption("orphan", "a dog", 2, "qwen3-tiny", null, "mean-k1", null, Map.of()))).get();
            producer.send(new ProducerRecord<>(topics.name(Topic.CAPTIONS), "junk", new byte[] {1, 2, 3})).get();
        }
        String[] args = {"eval", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic-prefix", "ev.", "--run", "replay-1",
            "--from-beginning", "--until-end", "--model", FIXTURES.resolve("roberta-tiny").toString(), "--layer", "3", "--idf"};
        CliRun first = CliRun.of(args);
        assertEquals(0, first.status(), first.err());
        assertTrue(first.err().contains("9 captions in range, 8 to score, 1 without references, 1 malformed"), first.err());
        String row = first.out().lines().filter(l -> l.startsWith("mean-k1")).findFirst().orElseThrow();
        // adapter, model, count, then "mean ± ci" for P, R and F
        String[] cells = row.trim().split("\\s+");
        assertEquals("8", cells[2], row);
        assertEquals(meanF, Double.parseDouble(cells[9]), 1e-4, row);

        CliRun second = CliRun.of(args);
        assertEquals(first.out(), second.out(), "the same run over the same range gives the same numbers");

        // a range that starts after every caption holds nothing to score
        CliRun later = CliRun.of("eval", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic-prefix", "ev.", "--run",
                "replay-2", "--from-time", java.time.Instant.now().plusSeconds(3600).toString(), "--model",
                FIXTURES.resolve("roberta-tiny").toString(), "--layer", "3");
        assertEquals(1, later.status());
        assertTrue(later.err().contains("0 captions in range") && later.err().contains("nothing to score"), later.err());
        // --only-adapter leaves out the captions of other adapters
        CliRun filtered = CliRun.of("eval", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic-prefix", "ev.", "--run",
                "replay-3", "--only-adapter", "another", "--model", FIXTURES.resolve("roberta-tiny").toString(), "--layer", "3");
        assertEquals(1, filtered.status());
        assertTrue(filtered.err().contains("9 captions in range, 0 to score"), filtered.err());

        List<ConsumerRecord<String, byte[]>> scores = CommittedRecords.read(KAFKA.bootstrapServers(),
                topics.name(Topic.SCORES), 16, Duration.ofSeconds(60));
        assertEquals(16, scores.size());
        List<Double> fs = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : scores) {
            Score s = Score.CODEC.fromRecord(r);
            assertEquals("replay-1", s.run());
            if (s.id().equals("case-0")) {
                fs.add(s.f1());
            }
        }
        assertEquals(2, fs.size());
        assertEquals(want.get("F").get(0).asDouble(), fs.get(0), 1e-5);
    }

    @Test
    void aMissingTopicOrBadStartIsOneLineError() {
        CliRun missing = CliRun.of("eval", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic-prefix", "none.",
                "--run", "r", "--model", FIXTURES.resolve("roberta-tiny").toString(), "--layer", "3");
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("topic none.caption.references does not exist"), missing.err());

        CliRun badTime = CliRun.of("eval", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic-prefix", "ev.",
                "--run", "r", "--from-time", "yesterday", "--model", FIXTURES.resolve("roberta-tiny").toString());
        assertEquals(1, badTime.status());
    }
}
