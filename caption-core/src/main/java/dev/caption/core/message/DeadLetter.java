package dev.caption.core.message;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * A record a stage could not process, on {@code caption.dlq}: the original key, value and headers, plus
 * {@code caption-dlq-*} headers saying which stage failed, why, and where the record came from. Replaying a
 * dead letter means producing its key, value and original headers back to {@link #originTopic()}.
 */
public record DeadLetter(String stage, String errorClass, String reason, String originTopic, int originPartition,
                         long originOffset, long failedAt, String key, @JsonIgnore byte[] value,
                         @JsonIgnore List<Header> originalHeaders) {

    /** Reasons are one line and bounded, so that they fit a header and a terminal. */
    public static final int MAX_REASON_LENGTH = 2000;

    public static final MessageCodec<DeadLetter> CODEC = new MessageCodec<>() {
        @Override
        public ProducerRecord<String, byte[]> toRecord(String topic, DeadLetter d) {
            List<Header> headers = new ArrayList<>();
            for (Header h : d.originalHeaders()) {
                if (!h.key().startsWith("caption-dlq-")) {
                    headers.add(h);
                }
            }
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, null, d.key(), d.value(), headers);
            CaptionHeaders.put(record.headers(), CaptionHeaders.DLQ_STAGE, d.stage());
            CaptionHeaders.put(record.headers(), CaptionHeaders.DLQ_ERROR_CLASS, d.errorClass());
            CaptionHeaders.put(record.headers(), CaptionHeaders.DLQ_REASON, d.reason());
            CaptionHeaders.put(record.headers(), CaptionHeaders.DLQ_ORIGIN_TOPIC, d.originTopic());
            CaptionHeaders.put(record.headers(), CaptionHeaders.DLQ_ORIGIN_PARTITION, Integer.toString(d.originPartition()));
            CaptionHeaders.put(record.headers(), CaptionHeaders.DLQ_ORIGIN_OFFSET, Long.toString(d.originOffset()));
            CaptionHeaders.put(record.headers(), CaptionHeaders.DLQ_TIME, Long.toString(d.failedAt()));
            return record;
        }

        @Override
        public DeadLetter fromRecord(ConsumerRecord<String, byte[]> record) {
            String stage = CaptionHeaders.get(record.headers(), CaptionHeaders.DLQ_STAGE);
            if (stage == null) {
                throw new MalformedMessageException("dead letter at offset " + record.offset()
                        + " has no " + CaptionHeaders.DLQ_STAGE + " header");
            }
            List<Header> original = new ArrayList<>();
            for (Header h : record.headers()) {
                if (!h.key().startsWith("caption-dlq-")) {
                    original.add(h);
                }
            }
            return new DeadLetter(stage,
                    orEmpty(CaptionHeaders.get(record.headers(), CaptionHeaders.DLQ_ERROR_CLASS)),
                    orEmpty(CaptionHeaders.get(record.headers(), CaptionHeaders.DLQ_REASON)),
                    orEmpty(CaptionHeaders.get(record.headers(), CaptionHeaders.DLQ_ORIGIN_TOPIC)),
                    (int) CaptionHeaders.getLong(record.headers(), CaptionHeaders.DLQ_ORIGIN_PARTITION).orElse(-1),
                    CaptionHeaders.getLong(record.headers(), CaptionHeaders.DLQ_ORIGIN_OFFSET).orElse(-1),
                    CaptionHeaders.getLong(record.headers(), CaptionHeaders.DLQ_TIME).orElse(record.timestamp()),
                    record.key(), record.value(), original);
        }
    };

    public DeadLetter {
        Messages.require(stage != null && !stage.isBlank(), "DeadLetter has no stage");
        errorClass = errorClass == null ? "" : errorClass;
        reason = oneLine(reason);
        Messages.require(originalHeaders != null, "DeadLetter has no header list");
        originalHeaders = List.copyOf(originalHeaders);
    }

    /** The dead letter for {@code record}, which {@code stage} failed to process with {@code error}, now. */
    public static DeadLetter of(String stage, ConsumerRecord<String, byte[]> record, Throwable error) {
        return of(stage, record, error, System.currentTimeMillis());
    }

    /** The dead letter for {@code record}, which {@code stage} failed to process with {@code error} at {@code failedAt}. */
    public static DeadLetter of(String stage, ConsumerRecord<String, byte[]> record, Throwable error, long failedAt) {
        List<Header> headers = new ArrayList<>();
        for (Header h : record.headers()) {
            headers.add(new RecordHeader(h.key(), h.value()));
        }
        return new DeadLetter(stage, error.getClass().getName(), describe(error), record.topic(), record.partition(),
                record.offset(), failedAt, record.key(), record.value(), headers);
    }

    /** The message of an error and of its causes, e.g. "cannot decode image: Unsupported Image Type". */
    public static String describe(Throwable error) {
        StringBuilder sb = new StringBuilder();
        Throwable t = error;
        for (int depth = 0; t != null && depth < 5; depth++, t = t.getCause()) {
            String msg = t.getMessage();
            // a parser's message repeats itself with a location on its next lines ("\n at [Source: ...]"): first line only
            String part = msg == null || msg.isBlank() ? t.getClass().getSimpleName() : msg.lines().findFirst().orElse(msg);
            if (sb.indexOf(part) < 0) {
                if (sb.length() > 0) {
                    sb.append(": ");
                }
                sb.append(part);
            }
            // our own messages are written for people and already say what the causes would repeat
            if (t instanceof MalformedMessageException || t.getCause() == t) {
                break;
            }
        }
        return sb.toString();
    }

    private static String oneLine(String reason) {
        String r = reason == null || reason.isBlank() ? "(no reason given)" : reason.replaceAll("\\s+", " ").trim();
        return r.length() <= MAX_REASON_LENGTH ? r : r.substring(0, MAX_REASON_LENGTH - 1) + "…";
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeadLetter d && d.stage.equals(stage) && d.reason.equals(reason)
                && d.originTopic.equals(originTopic) && d.originPartition == originPartition
                && d.originOffset == originOffset && java.util.Objects.equals(d.key, key)
                && Arrays.equals(d.value, value);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(stage, originTopic, originPartition, originOffset);
    }
}
