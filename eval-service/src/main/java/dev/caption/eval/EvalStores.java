package dev.caption.eval;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.caption.core.message.References;

/** The three stores both eval processors share: the references table, captions waiting for references, the batch. */
record EvalStores(KeyValueStore<String, References> references, KeyValueStore<String, Pending> waiting,
                  KeyValueStore<String, Pending> pending) {

    static EvalStores of(ProcessorContext<?, ?> context) {
        return new EvalStores(context.getStateStore(EvalTopology.REFERENCES_STORE),
                context.getStateStore(EvalTopology.WAITING_STORE), context.getStateStore(EvalTopology.PENDING_STORE));
    }
}
