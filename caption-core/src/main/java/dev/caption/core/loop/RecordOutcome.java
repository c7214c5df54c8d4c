package dev.caption.core.loop;

import java.util.List;

import org.apache.kafka.clients.producer.ProducerRecord;

/** What processing one input record produced: output records (possibly none), or a failure for the DLQ. */
public sealed interface RecordOutcome {

    /** Output records for this input; the loop adds trace, submit-time and stage-time headers. */
    record Emit(List<ProducerRecord<String, byte[]>> records) implements RecordOutcome {
        public Emit {
            records = List.copyOf(records);
        }
    }

    /** This input cannot be processed; it goes to the DLQ with the error's class and message as the reason. */
    record Fail(Throwable error) implements RecordOutcome {
    }

    @SafeVarargs
    static RecordOutcome emit(ProducerRecord<String, byte[]>... records) {
        return new Emit(List.of(records));
    }

    static RecordOutcome emit(List<ProducerRecord<String, byte[]>> records) {
        return new Emit(records);
    }

    static RecordOutcome fail(Throwable error) {
        return new Fail(error);
    }
}
