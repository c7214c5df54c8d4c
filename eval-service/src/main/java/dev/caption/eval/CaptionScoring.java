package dev.caption.eval;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.caption.core.message.Caption;
import dev.caption.core.message.DeadLetter;
import dev.caption.core.message.Json;
import dev.caption.core.message.References;
import dev.caption.core.message.Score;
import dev.caption.nn.bert.Prf;

/**
 * Looks each caption's references up; with references it joins the pending batch, without it waits for them.
 * Pending captions are scored {@code maxBatch} at a time: when that many are pending, or once the oldest has waited
 * {@code maxWait}. Not at fixed ticks: after a scoring call (seconds, on a CPU) a fixed tick is always due, and each
 * task would score the one caption it had taken in since, instead of the burst behind it.
 *
 * <p>The check runs only while the task has pending captions ({@link ScoringTicks} says why); the processor starts
 * it when a caption joins the batch, {@link ReferenceArrivals} when released captions do, and init when the store
 * holds some after a restart.
 */
final class CaptionScoring implements Processor<String, byte[], String, Outcome> {

    private final EvalTopology.Settings settings;
    private final BatchScorer scorer;
    private final String dlqTopic;
    private final ScoringTicks ticks;
    private final Runnable startTick = this::startTick;
    private ProcessorContext<String, Outcome> context;
    private EvalStores stores;
    private long pendingAdded;
    /** The scheduled check while this task has pending captions; null while it has none. */
    private Cancellable tick;

    CaptionScoring(EvalTopology.Settings settings, BatchScorer scorer, ScoringTicks ticks) {
        this.settings = settings;
        this.scorer = scorer;
        this.ticks = ticks;
        this.dlqTopic = settings.topics().name(dev.caption.core.kafka.Topic.DLQ);
    }

    @Override
    public void init(ProcessorContext<String, Outcome> context) {
        this.context = context;
        stores = EvalStores.of(context);
        ticks.register(context.taskId(), startTick);
        try (KeyValueIterator<String, Pending> it = stores.pending().all()) {
            if (it.hasNext()) {
                startTick();      // captions that were pending when the task last stopped
            }
        }
    }

    @Override
    public void close() {
        ticks.unregister(context.taskId(), startTick);
    }

    /** Schedules the check, unless it is scheduled already. */
    private void startTick() {
        if (tick == null) {
            // checked four times per maxWait: a batch closes at most a quarter of maxWait after it is due
            Duration every = settings.maxWait().dividedBy(4);
            tick = context.schedule(every.isZero() ? Duration.ofMillis(1) : every, PunctuationType.WALL_CLOCK_TIME,
                    this::flushWhenDue);
        }
    }

    private void stopTick() {
        if (tick != null) {
            tick.cancel();
            tick = null;
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        Caption caption;
        try {
            if (record.value() == null) {
                throw new IllegalArgumentException("caption record has no value");
            }
            caption = EvalRecords.decode(context, record, Caption.CODEC);
        } catch (RuntimeException e) {
            EvalRecords.deadLetter(context, dlqTopic, record, e);
            return;
        }
        String key = EvalRecords.storeKey(context, caption.id());
        References refs = stores.references().get(caption.id());
        if (refs == null) {
            stores.waiting().put(key, Pending.forReferences(caption));
            return;
        }
        stores.pending().put(key, Pending.forScoring(caption, refs.references(), context.currentSystemTimeMs()));
        if (++pendingAdded >= settings.maxBatch()) {
            flush();
        } else {
            startTick();
        }
    }

    /** Scores everything pending once the oldest pending caption has waited maxWait. */
    private void flushWhenDue(long now) {
        long oldest = Long.MAX_VALUE;
        try (KeyValueIterator<String, Pending> it = stores.pending().all()) {
            while (it.hasNext()) {
                oldest = Math.min(oldest, it.next().value.since());
            }
        }
        if (oldest == Long.MAX_VALUE) {
            stopTick();
        } else if (now - oldest >= settings.maxWait().toMillis()) {
            flush();
        }
    }

    /** Scores everything pending, a batch at a time; the task is then idle until a caption joins again. */
    private void flush() {
        pendingAdded = 0;
        while (true) {
            List<KeyValue<String, Pending>> batch = new ArrayList<>();
            try (KeyValueIterator<String, Pending> it = stores.pending().all()) {
                while (it.hasNext() && batch.size() < settings.maxBatch()) {
                    batch.add(it.next());
                }
            }
            if (batch.isEmpty()) {
                stopTick();
                return;
            }
            score(batch);
            batch.forEach(kv -> stores.pending().delete(kv.key));
        }
    }

    private void score(List<KeyValue<String, Pending>> batch) {
        List<Prf> results;
        try {
            results = scorer.score(batch.stream().map(kv -> kv.value.caption().text()).toList(),
                    batch.stream().map(kv -> kv.value.references()).toList());
        } catch (RuntimeException e) {
            if (batch.size() == 1) {
                deadLetter(batch.get(0), e);
                return;
            }
            // one bad caption must not sink the batch: score them one by one, dead-lettering the failures
            for (KeyValue<String, Pending> one : batch) {
                score(List.of(one));
            }
            return;
        }
        long now = context.currentSystemTimeMs();
        for (int i = 0; i < batch.size(); i++) {
            Pending p = batch.get(i).value;
            Caption c = p.caption();
            Prf prf = results.get(i);
            Score score = new Score(c.id(), c.run(), c.model(), c.adapter(), scorer.id(), prf.p(), prf.r(), prf.f(),
                    c.text(), p.references());
            context.forward(new Record<>(c.id(), new Outcome.Scored(score), now));
        }
    }

    /** The caption's own record cannot be re-read here, so its JSON stands in for the value. */
    private void deadLetter(KeyValue<String, Pending> entry, RuntimeException error) {
        String origin = entry.key.substring(entry.key.indexOf(EvalRecords.SEP) + 1);
        int partition = Integer.parseInt(origin.substring(0, origin.indexOf('-')));
        long offset = Long.parseLong(origin.substring(origin.indexOf('-') + 1));
        Caption c = entry.value.caption();
        EvalRecords.forward(context, dlqTopic, new DeadLetter(EvalTopology.STAGE, error.getClass().getName(),
                "scoring failed: " + DeadLetter.describe(error), settings.topics().name(dev.caption.core.kafka.Topic.CAPTIONS),
                partition, offset, context.currentSystemTimeMs(), c.id(), Json.write(c), List.<Header>of()));
    }
}
