package dev.caption.core.loop;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The work of one stage, on one batch. The loop calls it outside any transaction.
 *
 * <p>Return one outcome per input record, in input order. Throwing means the batch as a whole failed (out of
 * memory, a device error): the loop retries it with backoff, then splits it to isolate the record at fault.
 */
@FunctionalInterface
public interface BatchProcessor {

    List<RecordOutcome> process(List<ConsumerRecord<String, byte[]>> batch) throws Exception;

    /** One record at a time; a record whose function throws gets a {@link RecordOutcome.Fail}. */
    static BatchProcessor perRecord(RecordFunction function) {
        return batch -> {
            List<RecordOutcome> outcomes = new ArrayList<>(batch.size());
            for (ConsumerRecord<String, byte[]> record : batch) {
                try {
                    outcomes.add(RecordOutcome.emit(function.apply(record)));
                } catch (Exception e) {
                    outcomes.add(RecordOutcome.fail(e));
                }
            }
            return outcomes;
        };
    }

    @FunctionalInterface
    interface RecordFunction {
        List<ProducerRecord<String, byte[]>> apply(ConsumerRecord<String, byte[]> record) throws Exception;
    }
}
