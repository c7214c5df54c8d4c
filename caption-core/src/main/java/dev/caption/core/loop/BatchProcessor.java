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

    /**
     * Two phases, the shape of every model stage: each record is checked on its own (a record whose check throws
     * fails alone, to the DLQ), then the good ones are processed together (one forward pass). {@code run} returns
     * one output per checked item, in order; if it throws, the whole batch failed (retry, then split).
     */
    static <T> BatchProcessor checkThenBatch(Check<T> check, Run<T> run) {
        return batch -> {
            RecordOutcome[] outcomes = new RecordOutcome[batch.size()];
            List<Integer> positions = new ArrayList<>();
            List<T> items = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                try {
                    items.add(check.apply(batch.get(i)));
                    positions.add(i);
                } catch (Exception e) {
                    outcomes[i] = RecordOutcome.fail(e);
                }
            }
            if (!items.isEmpty()) {
                List<ProducerRecord<String, byte[]>> outputs = run.apply(items);
                if (outputs.size() != items.size()) {
                    throw new IllegalStateException("the batch step returned " + outputs.size() + " outputs for "
                            + items.size() + " items");
                }
                for (int j = 0; j < outputs.size(); j++) {
                    outcomes[positions.get(j)] = RecordOutcome.emit(outputs.get(j));
                }
            }
            return java.util.Arrays.asList(outcomes);
        };
    }

    /** Turns one record into an item for the batch step, or throws why it cannot be processed. */
    @FunctionalInterface
    interface Check<T> {
        T apply(ConsumerRecord<String, byte[]> record) throws Exception;
    }

    /** Processes the checked items together: one output record per item, in order. */
    @FunctionalInterface
    interface Run<T> {
        List<ProducerRecord<String, byte[]>> apply(List<T> items) throws Exception;
    }

    @FunctionalInterface
    interface RecordFunction {
        List<ProducerRecord<String, byte[]>> apply(ConsumerRecord<String, byte[]> record) throws Exception;
    }
}
