package dev.caption.core.message;

import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.caption.core.kafka.Topic;

/**
 * What happened to one image, for those who watch the pipeline (the web page's event stream): it was encoded,
 * captioned, scored or dead-lettered. It carries the topic's own record ({@link Caption}, {@link Score},
 * {@link DeadLetter}, whose bytes stay out of JSON) and the times its record's headers carry: the submit time and
 * each stage's emit time, epoch ms, from which per-stage latency follows. {@code recordTime} is the record's own
 * Kafka timestamp: for a score, when eval emitted it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PipelineEvent(Kind kind, String id, long recordTime, Long submitTime, Map<String, Long> stageTimes,
                            Caption caption, Score score, DeadLetter deadLetter) {

    /** In pipeline order; an image's events are delivered in this order. */
    public enum Kind { ENCODED, CAPTIONED, SCORED, FAILED }

    public PipelineEvent {
        stageTimes = stageTimes == null ? Map.of() : Map.copyOf(stageTimes);
    }

    /**
     * The event a record of {@code topic} stands for: features (ENCODED, the tensor is not read), captions, scores
     * and dead letters; empty for any other topic, or a dead letter with no image id.
     *
     * @throws MalformedMessageException when the record does not decode
     */
    public static Optional<PipelineEvent> of(Topic topic, ConsumerRecord<String, byte[]> record) {
        Map<String, Long> times = CaptionHeaders.stageTimes(record.headers());
        Long submit = CaptionHeaders.getLong(record.headers(), CaptionHeaders.SUBMIT_TIME).stream().boxed().findFirst()
                .orElse(null);
        long at = record.timestamp();
        return switch (topic) {
            case FEATURES -> {
                Messages.requireKey(record.key(), null, "feature record");
                yield Optional.of(new PipelineEvent(Kind.ENCODED, record.key(), at, submit, times, null, null, null));
            }
            case CAPTIONS -> {
                Caption c = Caption.CODEC.fromRecord(record);
                yield Optional.of(new PipelineEvent(Kind.CAPTIONED, c.id(), at, submit, times, c, null, null));
            }
            case SCORES -> {
                Score s = Score.CODEC.fromRecord(record);
                yield Optional.of(new PipelineEvent(Kind.SCORED, s.id(), at, submit, times, null, s, null));
            }
            case DLQ -> {
                DeadLetter d = DeadLetter.CODEC.fromRecord(record);
                yield d.key() == null ? Optional.empty()
                        : Optional.of(new PipelineEvent(Kind.FAILED, d.key(), at, submit, times, null, null, d));
            }
            default -> Optional.empty();
        };
    }
}
