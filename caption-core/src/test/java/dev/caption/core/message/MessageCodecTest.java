package dev.caption.core.message;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import dev.caption.tensor.DType;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.Tensor;

class MessageCodecTest {

    @Test
    void imageEventsCarryTheirBytesAndContentType() {
        ImageEvent event = new ImageEvent("dogs/001", "image/png", new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        ImageEvent back = ImageEvent.CODEC.fromRecord(consumed(ImageEvent.CODEC.toRecord("caption.images", event)));
        assertEquals(event, back);
    }

    @Test
    void featureFramesRoundTripThroughSafetensorsWithTheirEncoderMetadata() {
        Tensor features = Tensor.ofFloats(DType.F16, new long[] {49, 8}, new float[49 * 8]);
        FeatureFrame frame = new FeatureFrame("img-7", features, "openai/clip-vit-base-patch32", "3d74acf9", -2, false, Modality.IMAGE);
        ProducerRecord<String, byte[]> record = FeatureFrame.CODEC.toRecord("caption.features", frame);
        assertEquals("application/vnd.safetensors", CaptionHeaders.get(record.headers(), "content-type"));
        assertEquals(frame, FeatureFrame.CODEC.fromRecord(consumed(record)));
        // the value is plain safetensors, readable without our code
        assertEquals("img-7", Safetensors.decode(record.value()).metadata().get("id"));
    }

    @Test
    void prefixFramesRoundTrip() {
        Tensor prefix = Tensor.ofFloats(DType.F32, new long[] {4, 16}, new float[64]);
        PrefixFrame frame = new PrefixFrame("img-8", prefix, "mean-k4@2026-11-22", "openai/clip-vit-base-patch32",
                "Qwen/Qwen3-0.6B", Optional.of("<|im_start|>user\n{prefix}\nDescribe the image.<|im_end|>\n"));
        assertEquals(frame, PrefixFrame.CODEC.fromRecord(consumed(PrefixFrame.CODEC.toRecord("p", frame))));
        PrefixFrame older = new PrefixFrame("img-9", prefix, "mean-k4", "clip", "Qwen/Qwen3-0.6B", Optional.empty());
        assertEquals(older, PrefixFrame.CODEC.fromRecord(consumed(PrefixFrame.CODEC.toRecord("p", older))));
    }

    @Test
    void framesRefuseWrongShapesDtypesKindsAndKeys() {
        byte[] cube = Safetensors.encode(Map.of("features", Tensor.ofFloats(DType.F32, new long[] {2, 2, 2},
                new float[8])), Map.of("kind", "features"));
        assertMalformed(() -> FeatureFrame.CODEC.fromRecord(consumed("f", "a", cube)), "[tokens, dim] matrix");

        byte[] ints = Safetensors.encode(Map.of("features", Tensor.ofLongs(new long[] {2, 2}, new long[4])));
        assertMalformed(() -> FeatureFrame.CODEC.fromRecord(consumed("f", "a", ints)), "must be F16, BF16 or F32");

        byte[] prefixBlob = PrefixFrame.CODEC.toRecord("p", new PrefixFrame("a",
                Tensor.ofFloats(DType.F16, new long[] {1, 4}, new float[4]), "ad", "enc", "llm", Optional.empty())).value();
        assertMalformed(() -> FeatureFrame.CODEC.fromRecord(consumed("f", "a", prefixBlob)),
                "expected a features frame, got a prefix frame");
        assertMalformed(() -> PrefixFrame.CODEC.fromRecord(consumed("p", "other-id", prefixBlob)),
                "does not match the record key");
        assertMalformed(() -> FeatureFrame.CODEC.fromRecord(consumed("f", "a", "not safetensors".getBytes())),
                "not a valid safetensors blob");

        byte[] noMeta = Safetensors.encode(Map.of("features", Tensor.ofFloats(DType.F16, new long[] {1, 4},
                new float[4])));
        assertMalformed(() -> FeatureFrame.CODEC.fromRecord(consumed("f", "a", noMeta)), "lacks metadata");
    }

    @Test
    void captionsReferencesAndScoresRoundTripAsJson() {
        Caption caption = new Caption("img-1", "A dog runs on the beach.", 8, "Qwen/Qwen3-0.6B", "c1a2",
                "mean-k4", null, Map.of("encoder", 1000L, "llm", 1250L));
        References refs = new References("img-1", List.of("A dog on a beach.", "A brown dog running."));
        Score score = new Score("img-1", "run-1", "Qwen/Qwen3-0.6B", "mean-k4", "roberta-large_L17_no-idf",
                0.91, 0.89, 0.90, caption.text(), refs.references());

        assertEquals(caption, Caption.CODEC.fromRecord(consumed(Caption.CODEC.toRecord("c", caption))));
        assertEquals(refs, References.CODEC.fromRecord(consumed(References.CODEC.toRecord("r", refs))));
        assertEquals(score, Score.CODEC.fromRecord(consumed(Score.CODEC.toRecord("s", score))));
        String json = new String(Score.CODEC.toRecord("s", score).value(), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"P\":0.91") && json.contains("\"F\":0.9"), json);
        assertEquals(refs, References.CODEC.serde().deserializer().deserialize("r",
                References.CODEC.serde().serializer().serialize("r", refs)));
    }

    @Test
    void aRecordWithoutAKeyOrWithAKeyOtherThanItsPayloadsIdIsMalformedOnEveryTopic() {
        byte[] caption = Json.write(new Caption("img-1", "a dog", 2, "m", null, null, null, null));
        assertMalformed(() -> Caption.CODEC.fromRecord(consumed("c", null, caption)),
                "Caption 'img-1' has no record key; the key must be the image id");
        assertMalformed(() -> Caption.CODEC.fromRecord(consumed("c", "img-2", caption)),
                "Caption id 'img-1' does not match the record key 'img-2'");
        byte[] refs = Json.write(new References("img-1", java.util.List.of("a dog")));
        assertMalformed(() -> References.CODEC.fromRecord(consumed("r", null, refs)), "has no record key");
        byte[] frame = FeatureFrame.CODEC.toRecord("f", new FeatureFrame("img-1",
                Tensor.ofFloats(DType.F16, new long[] {1, 4}, new float[4]), "enc", "main", -2, false, Modality.IMAGE)).value();
        assertMalformed(() -> FeatureFrame.CODEC.fromRecord(consumed("f", null, frame)),
                "features frame 'img-1' has no record key");
        assertMalformed(() -> FeatureFrame.CODEC.fromRecord(consumed("f", "img-2", frame)),
                "features frame id 'img-1' does not match the record key 'img-2'");
        assertMalformed(() -> ImageEvent.CODEC.fromRecord(consumed("i", null, new byte[] {1, 2, 3})),
                "image record has no record key");
    }

    @Test
    void framesHoldingNaNOrInfinitiesAreMalformedAndSaySoWithTheCounts() {
        float[] values = {1, Float.NaN, Float.POSITIVE_INFINITY, Float.NaN, 0, 2, 3, 4};
        byte[] f32 = FeatureFrame.CODEC.toRecord("f", new FeatureFrame("img-1",
                Tensor.ofFloats(DType.F32, new long[] {2, 4}, values), "enc", "main", -2, false, Modality.IMAGE)).value();
        assertMalformed(() -> FeatureFrame.CODEC.fromRecord(consumed("f", "img-1", f32)),
                "features frame 'img-1': tensor 'features' holds 2 NaN and 1 infinite values (of 8)");
        byte[] f16 = PrefixFrame.CODEC.toRecord("p", new PrefixFrame("img-1",
                Tensor.ofFloats(DType.F16, new long[] {2, 4}, values), "ad", "enc", "llm", Optional.empty())).value();
        assertMalformed(() -> PrefixFrame.CODEC.fromRecord(consumed("p", "img-1", f16)), "holds 2 NaN and 1 infinite");
    }

    @Test
    void aDeadLetterReasonIsOneShortLineWithoutTheParsersEchoOrClassNames() {
        RuntimeException truncated = assertThrows(MalformedMessageException.class,
                () -> Caption.CODEC.fromRecord(consumed("c", "x", "{\"id\":\"x\",".getBytes())));
        String reason = DeadLetter.describe(truncated);
        assertTrue(reason.startsWith("malformed Caption JSON: "), reason);
        assertTrue(!reason.contains("[Source") && !reason.contains("\n") && !reason.contains("dev.caption"), reason);
        RuntimeException invalid = assertThrows(MalformedMessageException.class,
                () -> Caption.CODEC.fromRecord(consumed("c", "x", "{\"id\":\"x\",\"tokenCount\":1}".getBytes())));
        assertEquals("invalid Caption: Caption 'x' has no text", DeadLetter.describe(invalid));
    }

    @Test
    void malformedJsonGivesAClearReason() {
        assertMalformed(() -> Caption.CODEC.fromRecord(consumed("c", "x", "{\"id\":\"x\",".getBytes())),
                "malformed Caption JSON");
        assertMalformed(() -> References.CODEC.fromRecord(consumed("r", "x", "{\"id\":\"x\",\"references\":[]}"
                .getBytes())), "lists no captions");
        assertMalformed(() -> Caption.CODEC.fromRecord(consumed("c", "x", "[1,2]".getBytes())),
                "malformed Caption JSON");
        assertMalformed(() -> References.CODEC.fromRecord(consumed("r", "y", "{\"id\":\"x\",\"references\":[\"a\"]}"
                .getBytes())), "does not match the record key");
        assertMalformed(() -> Caption.CODEC.fromRecord(consumed("c", "x", null)), "no value");
    }

    @Test
    void deadLettersKeepTheOriginalRecordAndSayWhyAndWhereFrom() {
        ConsumerRecord<String, byte[]> original = new ConsumerRecord<>("caption.images", 3, 41L, 0L,
                TimestampType.CREATE_TIME, 0, 0, "img-9", new byte[] {1, 2, 3}, new RecordHeaders(), java.util.Optional.empty());
        original.headers().add("traceparent", "00-abc-def-01".getBytes(StandardCharsets.UTF_8));
        Exception error = new IllegalArgumentException("not an image", new RuntimeException("bad magic 0x010203"));

        DeadLetter letter = DeadLetter.of("encoder", original, error);
        ProducerRecord<String, byte[]> record = DeadLetter.CODEC.toRecord("caption.dlq", letter);
        assertEquals("encoder", CaptionHeaders.get(record.headers(), CaptionHeaders.DLQ_STAGE));
        assertEquals("java.lang.IllegalArgumentException",
                CaptionHeaders.get(record.headers(), CaptionHeaders.DLQ_ERROR_CLASS));
        assertEquals("not an image: bad magic 0x010203", CaptionHeaders.get(record.headers(), CaptionHeaders.DLQ_REASON));
        assertEquals("caption.images", CaptionHeaders.get(record.headers(), CaptionHeaders.DLQ_ORIGIN_TOPIC));
        assertEquals("3", CaptionHeaders.get(record.headers(), CaptionHeaders.DLQ_ORIGIN_PARTITION));
        assertEquals("41", CaptionHeaders.get(record.headers(), CaptionHeaders.DLQ_ORIGIN_OFFSET));
        assertEquals("00-abc-def-01", CaptionHeaders.get(record.headers(), "traceparent"));

        DeadLetter back = DeadLetter.CODEC.fromRecord(consumed(record));
        assertEquals(letter, back);
        assertArrayEquals(new byte[] {1, 2, 3}, back.value());
        assertEquals(1, back.originalHeaders().size());
    }

    @Test
    void idsMustBeUsableAsKeys() {
        assertMalformed(() -> new References("", List.of("a")), "has no id");
        assertMalformed(() -> new References("a\nb", List.of("a")), "control characters");
        assertMalformed(() -> new References("x".repeat(2000), List.of("a")), "longer than");
    }

    private static void assertMalformed(Runnable action, String fragment) {
        MalformedMessageException e = assertThrows(MalformedMessageException.class, action::run);
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    static ConsumerRecord<String, byte[]> consumed(ProducerRecord<String, byte[]> r) {
        ConsumerRecord<String, byte[]> c = new ConsumerRecord<>(r.topic(), 0, 0L, 0L, TimestampType.CREATE_TIME,
                0, 0, r.key(), r.value(), new RecordHeaders(r.headers().toArray()), java.util.Optional.empty());
        return c;
    }

    static ConsumerRecord<String, byte[]> consumed(String topic, String key, byte[] value) {
        return new ConsumerRecord<>(topic, 0, 0L, key, value);
    }
}
