package dev.caption.eval;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;

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
 * <p>A scoring call with room left fills it with captions pending in the other tasks of this stream thread
 * ({@link ScoringTasks#peersOf}) and hands each its results; a task forwards results handed to it at its next check,
 * if the caption is still pending as it was scored. Those results are only a cache: the captions stay in their own
 * task's store until that task forwards their scores in its own transaction, and a task that restarts scores them
 * again.
 *
 * <p>The check runs only while the task has pending captions ({@link ScoringTasks} says why); the processor starts
 * it when a caption joins the batch, {@link ReferenceArrivals} when released captions do, and init when the store
 * holds some after a restart.
 */
final class CaptionScoring implements Processor<String, byte[], String, Outcome> {

    /** A score computed by another task's call for a caption pending here, as it was when scored. */
    private record Handed(Pending pending, Prf prf) {
    }

    /** A pending caption of another task, taken into this task's scoring call. */
    private record Borrowed(CaptionScoring owner, KeyValue<String, Pending> entry) {
    }

    private final EvalTopology.Settings settings;
    private final BatchScorer scorer;
    private final String dlqTopic;
    private final ScoringTasks tasks;
    private ProcessorContext<String, Outcome> context;
    private EvalStores stores;
    private long pendingAdded;
    /** The scheduled check while this task has pending captions; null while it has none. */
    private Cancellable tick;
    /** Scores that other tasks' calls computed for captions pending here, by store key. */
    private final Map<String, Handed> handed = new HashMap<>();

    CaptionScoring(EvalTopology.Settings settings, BatchScorer scorer, ScoringTasks tasks) {
        this.settings = settings;
        this.scorer = scorer;
        this.tasks = tasks;
        this.dlqTopic = settings.topics().name(dev.caption.core.kafka.Topic.DLQ);
    }

    @Override
    public void init(ProcessorContext<String, Outcome> context) {
        this.context = context;
        stores = EvalStores.of(context);
        handed.clear();
        tasks.register(context.taskId(), this);
        try (KeyValueIterator<String, Pending> it = stores.pending().all()) {
            if (it.hasNext()) {
                startTick();      // captions that were pending when the task last stopped
            }
        }
    }

    @Override
    public void close() {
        tasks.unregister(context.taskId(), this);
        handed.clear();
    }

    /** Schedules the check, unless it is scheduled already. */
    void startTick() {
        if (tick == null) {
            // checked four times per maxWait: a batch closes at most a quarter of maxWait after it is due
            Duration every = settings.maxWait().dividedBy(4);
            tick = context.schedule(every.isZero() ? Duration.ofMillis(1) : every, PunctuationType.WALL_CLOCK_TIME,
                    this::check);
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
        tasks.running(context.taskId());
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

    /**
     * Forwards the scores other tasks handed over, then scores everything pending once the oldest pending caption
     * has waited maxWait.
     */
    private void check(long now) {
        tasks.running(context.taskId());
        forwardHanded();
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
        forwardHanded();
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
            score(batch, true);
            batch.forEach(kv -> stores.pending().delete(kv.key));
        }
    }

    /** Forwards the scores handed over for captions still pending as they were scored, and forgets the rest. */
    private void forwardHanded() {
        for (Map.Entry<String, Handed> e : handed.entrySet()) {
            Pending now = stores.pending().get(e.getKey());
            if (e.getValue().pending().equals(now)) {
                forward(now, e.getValue().prf());
                stores.pending().delete(e.getKey());
            }
        }
        handed.clear();
    }

    /**
     * Up to {@code limit} of this task's pending captions that no other task has scored yet, for another task's
     * call on this thread.
     */
    private List<KeyValue<String, Pending>> unscored(int limit) {
        List<KeyValue<String, Pending>> out = new ArrayList<>();
        try (KeyValueIterator<String, Pending> it = stores.pending().all()) {
            while (it.hasNext() && out.size() < limit) {
                KeyValue<String, Pending> kv = it.next();
                if (!handed.containsKey(kv.key)) {
                    out.add(kv);
                }
            }
        }
        return out;
    }

    /**
     * A score computed by another task's call; forwarded at this task's next check, which is scheduled already:
     * the caption is pending here. (Scheduling from another task's call would attach the check to that task's node.)
     */
    private void hand(KeyValue<String, Pending> entry, Prf prf) {
        handed.put(entry.key, new Handed(entry.value, prf));
    }

    /**
     * Scores the batch and forwards its scores; with {@code borrow}, the call's room left is filled with peers'
     * pending captions, whose scores are handed to them.
     */
    private void score(List<KeyValue<String, Pending>> batch, boolean borrow) {
        List<Borrowed> borrowed = new ArrayList<>();
        for (CaptionScoring peer : borrow ? tasks.peersOf(context.taskId()) : List.<CaptionScoring>of()) {
            int room = settings.maxBatch() - batch.size() - borrowed.size();
            if (room <= 0) {
                break;
            }
            peer.unscored(room).forEach(kv -> borrowed.add(new Borrowed(peer, kv)));
        }
        List<Pending> all = new ArrayList<>();
        batch.forEach(kv -> all.add(kv.value));
        borrowed.forEach(b -> all.add(b.entry().value));
        List<Prf> results;
        try {
            results = scorer.score(all.stream().map(p -> p.caption().text()).toList(),
                    all.stream().map(Pending::references).toList());
        } catch (RuntimeException e) {
            if (!borrowed.isEmpty()) {
                score(batch, false);               // the failure may be a peer's caption: theirs are their own to score
            } else if (batch.size() == 1) {
                deadLetter(batch.get(0), e);
            } else {
                // one bad caption must not sink the batch: score them one by one, dead-lettering the failures
                for (KeyValue<String, Pending> one : batch) {
                    score(List.of(one), false);
                }
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            forward(batch.get(i).value, results.get(i));
        }
        for (int i = 0; i < borrowed.size(); i++) {
            borrowed.get(i).owner().hand(borrowed.get(i).entry(), results.get(batch.size() + i));
        }
    }

    private void forward(Pending p, Prf prf) {
        Caption c = p.caption();
        Score score = new Score(c.id(), c.run(), c.model(), c.adapter(), scorer.id(), prf.p(), prf.r(), prf.f(),
                c.text(), p.references());
        context.forward(new Record<>(c.id(), new Outcome.Scored(score), context.currentSystemTimeMs()));
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
