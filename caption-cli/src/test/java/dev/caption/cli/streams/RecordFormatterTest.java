package dev.caption.cli.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import dev.caption.core.kafka.Topic;

class RecordFormatterTest {

    @Test
    void aKeyWithControlCharactersCannotDriveTheTerminalAndStaysOnOneLine() {
        String key = "img\u001b[2J\nnext";
        String line = RecordFormatter.human(Topic.CAPTIONS, new ConsumerRecord<>("caption.captions", 0, 0L, key,
                "{not json".getBytes(StandardCharsets.UTF_8)));
        assertTrue(line.contains("img\\u001b[2J\\nnext"), line);
        assertTrue(line.chars().noneMatch(Character::isISOControl), line);
        assertTrue(line.contains("MALFORMED: "), line);
    }

    @Test
    void veryLongKeysAndTextsAreShortenedSayingHowLongTheyWere() {
        assertEquals("abc… (10 characters)", RecordFormatter.shown("abcdefghij", 3));
        String line = RecordFormatter.human(Topic.CAPTIONS, new ConsumerRecord<>("caption.captions", 0, 0L, "k".repeat(2000),
                ("{\"id\":\"x\",\"text\":\"" + "word ".repeat(5000) + "\",\"tokenCount\":1}").getBytes(StandardCharsets.UTF_8)));
        assertTrue(line.length() < RecordFormatter.MAX_KEY + RecordFormatter.MAX_BODY + 120, line.length() + " characters");
        assertTrue(line.contains("(2000 characters)"), line);
    }

    @Test
    void aRecordWithoutAKeySaysSo() {
        String line = RecordFormatter.human(Topic.CAPTIONS, new ConsumerRecord<>("caption.captions", 0, 0L, null,
                "{\"id\":\"x\",\"text\":\"a dog\",\"tokenCount\":2}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(line.contains("(no key)") && line.contains("has no record key"), line);
    }
}
