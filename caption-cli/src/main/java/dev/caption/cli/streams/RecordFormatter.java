package dev.caption.cli.streams;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import dev.caption.core.kafka.Topic;
import dev.caption.core.message.AudioEvent;
import dev.caption.core.message.Caption;
import dev.caption.core.message.CaptionHeaders;
import dev.caption.core.message.DeadLetter;
import dev.caption.core.message.FeatureFrame;
import dev.caption.core.message.ImageEvent;
import dev.caption.core.message.Json;
import dev.caption.core.message.PrefixFrame;
import dev.caption.core.message.References;
import dev.caption.core.message.Score;
import dev.caption.cli.Sizes;

/** Renders records of any pipeline topic as one human line or one JSON object. A malformed record says why. */
final class RecordFormatter {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

    private RecordFormatter() {
    }

    /** Longest key, and longest rest of line, shown in human mode ({@code --json} stays complete). */
    static final int MAX_KEY = 64;
    static final int MAX_BODY = 400;

    /** One line per record whatever it holds: control characters escaped, very long keys and texts shortened. */
    static String human(Topic topic, ConsumerRecord<String, byte[]> r) {
        String head = String.format(Locale.ROOT, "%s %-10s %-24s ", TIME.format(Instant.ofEpochMilli(r.timestamp())),
                topic.shortName(), r.key() == null ? "(no key)" : shown(r.key(), MAX_KEY));
        return head + shown(body(topic, r), MAX_BODY);
    }

    /** {@code s} with control characters escaped (a newline as backslash-n, ESC as backslash-u001b) and cut at {@code max} characters. */
    static String shown(String s, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (Character.isISOControl(c)) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.length() <= max ? b.toString() : b.substring(0, max) + "… (" + b.length() + " characters)";
    }

    private static String body(Topic topic, ConsumerRecord<String, byte[]> r) {
        try {
            return switch (topic) {
                case IMAGES -> {
                    ImageEvent e = ImageEvent.CODEC.fromRecord(r);
                    yield e.contentType() + "  " + Sizes.human(e.bytes().length);
                }
                case AUDIO -> {
                    AudioEvent e = AudioEvent.CODEC.fromRecord(r);
                    yield e.contentType() + "  " + Sizes.human(e.bytes().length);
                }
                case FEATURES -> {
                    FeatureFrame f = FeatureFrame.CODEC.fromRecord(r);
                    yield f.features() + "  " + f.modality().wireName() + ", " + f.encoderModel() + "@" + f.encoderRevision()
                            + " layer " + f.layer() + (f.keepCls() ? " +cls" : "");
                }
                case PREFIXES -> {
                    PrefixFrame p = PrefixFrame.CODEC.fromRecord(r);
                    yield p.prefix() + "  adapter " + p.adapter() + " -> " + p.llmModel();
                }
                case CAPTIONS -> {
                    Caption c = Caption.CODEC.fromRecord(r);
                    yield "\"" + c.text() + "\"  (" + c.tokenCount() + " tokens, " + c.model() + ", adapter " + c.adapter()
                            + latency(r) + ")";
                }
                case REFERENCES -> {
                    References refs = References.CODEC.fromRecord(r);
                    yield refs.references().size() + " refs, e.g. \"" + refs.references().get(0) + "\"";
                }
                case SCORES -> {
                    Score s = Score.CODEC.fromRecord(r);
                    yield String.format(Locale.ROOT, "P %.4f R %.4f F %.4f  \"%s\"", s.precision(), s.recall(), s.f1(),
                            s.caption());
                }
                case DLQ -> {
                    DeadLetter d = DeadLetter.CODEC.fromRecord(r);
                    yield "[" + d.stage() + "] " + d.reason() + "  (from " + d.originTopic() + "-" + d.originPartition()
                            + "@" + d.originOffset() + ", " + simpleName(d.errorClass()) + ")";
                }
                case METRICS -> r.value() == null ? "(deleted)" : new String(r.value(), StandardCharsets.UTF_8);
            };
        } catch (RuntimeException e) {
            return "MALFORMED: " + e.getMessage();
        }
    }

    static String json(Topic topic, ConsumerRecord<String, byte[]> r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("topic", r.topic());
        out.put("partition", r.partition());
        out.put("offset", r.offset());
        out.put("timestamp", r.timestamp());
        out.put("key", r.key());
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        out.put("headers", headers);
        try {
            out.put("value", switch (topic) {
                case IMAGES -> {
                    ImageEvent e = ImageEvent.CODEC.fromRecord(r);
                    yield Map.of("contentType", e.contentType(), "bytes", e.bytes().length);
                }
                case AUDIO -> {
                    AudioEvent e = AudioEvent.CODEC.fromRecord(r);
                    yield Map.of("contentType", e.contentType(), "bytes", e.bytes().length);
                }
                case FEATURES -> {
                    FeatureFrame f = FeatureFrame.CODEC.fromRecord(r);
                    yield Map.of("dtype", f.features().dtype().name(), "shape", f.features().shape(),
                            "encoderModel", f.encoderModel(), "encoderRevision", f.encoderRevision(), "layer", f.layer(),
                            "keepCls", f.keepCls(), "modality", f.modality().wireName());
                }
                case PREFIXES -> {
                    PrefixFrame p = PrefixFrame.CODEC.fromRecord(r);
                    yield Map.of("dtype", p.prefix().dtype().name(), "shape", p.prefix().shape(), "adapter", p.adapter(),
                            "encoderModel", p.encoderModel(), "llmModel", p.llmModel());
                }
                case CAPTIONS -> Caption.CODEC.fromRecord(r);
                case REFERENCES -> References.CODEC.fromRecord(r);
                case SCORES -> Score.CODEC.fromRecord(r);
                case DLQ -> {
                    DeadLetter d = DeadLetter.CODEC.fromRecord(r);
                    yield Map.of("stage", d.stage(), "errorClass", d.errorClass(), "reason", d.reason(),
                            "originTopic", d.originTopic(), "originPartition", d.originPartition(),
                            "originOffset", d.originOffset(), "valueBytes", d.value() == null ? 0 : d.value().length);
                }
                case METRICS -> r.value() == null ? null : Json.MAPPER.readTree(r.value());
            });
        } catch (Exception e) {
            out.put("malformed", e.getMessage());
        }
        return Json.writeString(out);
    }

    private static String latency(ConsumerRecord<String, byte[]> r) {
        var submitted = CaptionHeaders.getLong(r.headers(), CaptionHeaders.SUBMIT_TIME);
        return submitted.isPresent() ? ", " + (r.timestamp() - submitted.getAsLong()) + " ms end to end" : "";
    }

    private static String simpleName(String className) {
        String[] parts = className.split("\\.");
        return parts.length == 0 ? className : parts[parts.length - 1];
    }

}
