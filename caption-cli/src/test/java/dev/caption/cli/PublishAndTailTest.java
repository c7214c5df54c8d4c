package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.caption.broker.LocalKafkaExtension;

/** `caption publish` and `caption tail` against the real local broker, through the command line. */
class PublishAndTailTest {

    @RegisterExtension
    static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();

    @TempDir
    Path dir;

    @Test
    void audioFilesGoToTheAudioTopicByTheirBytesAndUnsupportedAudioIsSkippedWithItsFormat() throws Exception {
        Path clips = Files.createDirectories(dir.resolve("clips"));
        // the extension lies: the content is a WAV
        Files.copy(Path.of("..", "caption-nn", "src", "test", "resources", "fixtures", "audio", "sine440_1s.wav"),
                clips.resolve("tone.mp3"));
        Files.copy(Path.of("..", "samples", "images", "red-circle.png"), clips.resolve("red-circle.png"));
        Files.copy(Path.of("..", "caption-nn", "src", "test", "resources", "fixtures", "audio-flac", "sine440_1s.flac"),
                clips.resolve("tone-copy.flac"));
        // the start of an MP3 (an ID3 tag and a frame header): audio, but not a format the encoder decodes
        byte[] mp3 = new byte[64];
        byte[] head = {'I', 'D', '3', 3, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFB, (byte) 0x90};
        System.arraycopy(head, 0, mp3, 0, head.length);
        Files.write(clips.resolve("song.mp3"), mp3);

        String prefix = "t3.";
        CliRun publish = CliRun.of("publish", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic-prefix", prefix,
                clips.toString());
        assertEquals(CaptionCli.EXIT_PARTIAL, publish.status(), publish.err());
        assertTrue(publish.out().contains("published 1 image and 2 audio clips"), publish.out());
        assertTrue(publish.out().contains("song.mp3 (unsupported audio format audio/mpeg"), publish.out());

        CliRun tail = CliRun.of("tail", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic-prefix", prefix,
                "--topic", "audio", "--from-beginning", "--until-end", "--json");
        assertEquals(0, tail.status(), tail.err());
        List<JsonNode> lines = tail.jsonLines();
        Map<String, String> types = lines.stream().collect(Collectors.toMap(n -> n.get("key").asText(),
                n -> n.at("/value/contentType").asText()));
        assertEquals(2, types.size(), tail.out());
        assertTrue(types.get("tone").contains("wav"), tail.out());
        assertEquals("audio/x-flac", types.get("tone-copy"), tail.out());
    }

    @Test
    void publishesImagesFromDirectoriesAndGlobsSkipsBadFilesAndTailShowsThem() throws Exception {
        Path images = Files.createDirectories(dir.resolve("imgs/nested"));
        Path samples = Path.of("..", "samples", "images");
        Files.copy(samples.resolve("red-circle.png"), images.resolve("red-circle.png"));
        // the extension lies: the content is a JPEG
        Files.copy(samples.resolve("green-triangles.jpg"), images.resolve("triangles.png"));
        Files.copy(samples.resolve("purple-ring.gif"), dir.resolve("imgs/ring.gif"));
        Files.writeString(dir.resolve("imgs/notes.txt"), "not an image");
        Files.write(dir.resolve("imgs/big.png"), new byte[7000]);
        Path refs = Files.writeString(dir.resolve("refs.jsonl"),
                "{\"id\": \"nested/red-circle\", \"references\": [\"A red circle.\"]}\n");

        String prefix = "t1.";
        CliRun publish = CliRun.of("publish", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic-prefix", prefix,
                "--max-image-bytes", "6000", "--references", refs.toString(), dir.resolve("imgs").toString());
        assertEquals(CaptionCli.EXIT_PARTIAL, publish.status(), publish.err());
        assertTrue(publish.out().contains("published 3 images"), publish.out());
        assertTrue(publish.out().contains("and 1 reference set"), publish.out());
        assertTrue(publish.out().contains("notes.txt (not an image: text/plain)"), publish.out());
        assertTrue(publish.out().contains("big.png (too large: 6.8 KiB > 5.9 KiB)"), publish.out());

        CliRun glob = CliRun.of("publish", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic-prefix", prefix,
                "--id-from", "name", dir.resolve("imgs") + "/**/*.png", "--max-image-bytes", "6000");
        assertEquals(0, glob.status(), glob.out() + glob.err());
        assertTrue(glob.out().contains("published 2 images"), glob.out());

        CliRun tail = CliRun.of("tail", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic-prefix", prefix,
                "--topic", "images,references", "--from-beginning", "--until-end", "--json");
        assertEquals(0, tail.status(), tail.err());
        List<JsonNode> lines = tail.jsonLines();
        Map<String, String> imageTypes = lines.stream().filter(n -> n.get("topic").asText().equals("t1.caption.images"))
                .collect(Collectors.toMap(n -> n.get("key").asText(), n -> n.get("value").get("contentType").asText()));
        assertEquals(Map.of("nested/red-circle", "image/png", "nested/triangles", "image/jpeg", "ring", "image/gif",
                "red-circle", "image/png", "triangles", "image/jpeg"), imageTypes);
        JsonNode image = lines.stream().filter(n -> n.get("key").asText().equals("ring")).findFirst().orElseThrow();
        assertTrue(image.get("headers").get("traceparent").asText().startsWith("00-"));
        assertTrue(image.get("headers").has("caption-submit-time"));
        Set<String> refIds = lines.stream().filter(n -> n.get("topic").asText().equals("t1.caption.references"))
                .map(n -> n.get("value").get("references").get(0).asText()).collect(Collectors.toSet());
        assertEquals(Set.of("A red circle."), refIds);

        CliRun human = CliRun.of("tail", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic-prefix", prefix,
                "--topic", "images", "--from-beginning", "--max", "5");
        assertEquals(5, human.out().lines().count(), human.out());
        assertTrue(human.out().contains("images") && human.out().contains("KiB"), human.out());
    }

    @Test
    void missingInputsAndUnknownTopicsFailWithOneLineAndANonZeroStatus() {
        CliRun missing = CliRun.of("publish", "--bootstrap-servers", KAFKA.bootstrapServers(), dir.resolve("nope.jpg").toString());
        assertEquals(1, missing.status());
        assertEquals("caption publish: no such file or directory: " + dir.resolve("nope.jpg"), missing.err().strip());

        CliRun topic = CliRun.of("tail", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "captionz");
        assertEquals(1, topic.status());
        assertTrue(topic.err().strip().startsWith("caption tail: unknown topic 'captionz'"), topic.err());

        CliRun config = CliRun.of("tail", "--kafka-config", dir.resolve("absent.properties").toString());
        assertEquals(1, config.status());
        assertTrue(config.err().contains("Kafka config file not found"), config.err());
    }
}
