package dev.caption.core.message;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The record headers every stage reads and writes. Values are UTF-8 strings.
 *
 * <p>Trace context and submit time travel with an image through every stage (the batch loop copies them from
 * input to output), and each stage adds the time it emitted, so per-stage latency can be read off any record.
 */
public final class CaptionHeaders {

    public static final String CONTENT_TYPE = "content-type";
    /** W3C trace context, {@code 00-<trace id>-<span id>-01}. */
    public static final String TRACEPARENT = "traceparent";
    /** Epoch milliseconds at which the publisher sent the image. */
    public static final String SUBMIT_TIME = "caption-submit-time";
    /** Prefix of the per-stage emit time: {@code caption-t-encoder} = epoch ms when the encoder produced. */
    public static final String STAGE_TIME_PREFIX = "caption-t-";

    public static final String DLQ_STAGE = "caption-dlq-stage";
    public static final String DLQ_ERROR_CLASS = "caption-dlq-error-class";
    public static final String DLQ_REASON = "caption-dlq-reason";
    public static final String DLQ_ORIGIN_TOPIC = "caption-dlq-origin-topic";
    public static final String DLQ_ORIGIN_PARTITION = "caption-dlq-origin-partition";
    public static final String DLQ_ORIGIN_OFFSET = "caption-dlq-origin-offset";
    public static final String DLQ_TIME = "caption-dlq-time";

    public static final String CONTENT_TYPE_SAFETENSORS = "application/vnd.safetensors";
    public static final String CONTENT_TYPE_JSON = "application/json";

    private static final SecureRandom RANDOM = new SecureRandom();

    private CaptionHeaders() {
    }

    /** The last value of a header as a string, or null. */
    public static String get(Headers headers, String key) {
        Header h = headers.lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    public static OptionalLong getLong(Headers headers, String key) {
        String v = get(headers, key);
        if (v == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Replaces any value of {@code key}. */
    public static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    public static String stageTimeKey(String stage) {
        return STAGE_TIME_PREFIX + stage;
    }

    /** Stage name to emit time (epoch ms), in header order, for every {@code caption-t-*} header. */
    public static Map<String, Long> stageTimes(Headers headers) {
        Map<String, Long> times = new LinkedHashMap<>();
        for (Header h : headers) {
            if (h.key().startsWith(STAGE_TIME_PREFIX) && h.value() != null) {
                try {
                    times.put(h.key().substring(STAGE_TIME_PREFIX.length()),
                            Long.parseLong(new String(h.value(), StandardCharsets.UTF_8)));
                } catch (NumberFormatException ignored) {
                    // a foreign header that happens to share the prefix
                }
            }
        }
        return times;
    }

    /** A fresh sampled W3C traceparent. */
    public static String newTraceparent() {
        byte[] trace = new byte[16];
        byte[] span = new byte[8];
        RANDOM.nextBytes(trace);
        RANDOM.nextBytes(span);
        HexFormat hex = HexFormat.of();
        return "00-" + hex.formatHex(trace) + "-" + hex.formatHex(span) + "-01";
    }
}
