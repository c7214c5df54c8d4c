package dev.caption.eval;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.caption.core.message.References;

/**
 * Keeps the latest reference list per id (the references KTable; a null value deletes it, as compaction does) and
 * releases captions that were waiting for those references into the scoring batch.
 */
final class ReferenceArrivals implements Processor<String, byte[], String, Outcome> {

    private final String dlqTopic;
    private final ScoringTasks tasks;
    private ProcessorContext<String, Outcome> context;
    private EvalStores stores;

    ReferenceArrivals(String dlqTopic, ScoringTasks tasks) {
        this.dlqTopic = dlqTopic;
        this.tasks = tasks;
    }

    @Override
    public void init(ProcessorContext<String, Outcome> context) {
        this.context = context;
        stores = EvalStores.of(context);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            EvalRecords.deadLetter(context, dlqTopic, record, new IllegalArgumentException("references record has no key"));
            return;
        }
        if (record.value() == null) {
            stores.references().delete(record.key());
            return;
        }
        References refs;
        try {
            refs = EvalRecords.decode(context, record, References.CODEC);
        } catch (RuntimeException e) {
            EvalRecords.deadLetter(context, dlqTopic, record, e);
            return;
        }
        stores.references().put(refs.id(), refs);
        List<KeyValue<String, Pending>> released = new ArrayList<>();
        try (KeyValueIterator<String, Pending> it = stores.waiting().prefixScan(refs.id() + EvalRecords.SEP, new StringSerializer())) {
            it.forEachRemaining(released::add);
        }
        for (KeyValue<String, Pending> kv : released) {
            stores.pending().put(kv.key, Pending.forScoring(kv.value.caption(), refs.references(), context.currentSystemTimeMs()));
            stores.waiting().delete(kv.key);
        }
        if (!released.isEmpty()) {
            tasks.startTick(context.taskId());
        }
    }
}
