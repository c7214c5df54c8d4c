package dev.caption.adapter;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import dev.caption.core.loop.BatchProcessor;
import dev.caption.core.loop.RecordOutcome;
import dev.caption.core.message.FeatureFrame;
import dev.caption.core.message.PrefixFrame;
import dev.caption.core.message.FiniteValues;
import dev.caption.nn.adapter.Adapter;
import dev.caption.nn.adapter.AdapterSpec;
import dev.caption.tensor.DType;
import dev.caption.tensor.Tensor;

/**
 * Feature frames to prefix frames: each frame is checked against the adapter's spec on its own (another encoder,
 * layer, CLS choice or shape: DLQ, naming both sides), then all good ones go through the adapter as one batch.
 */
public final class AdapterProcessor implements BatchProcessor {

    private final AdapterModel model;
    private final String prefixesTopic;
    private final DType wireDtype;

    public AdapterProcessor(AdapterModel model, String prefixesTopic, DType wireDtype) {
        this.model = model;
        this.prefixesTopic = prefixesTopic;
        this.wireDtype = wireDtype;
    }

    @Override
    public List<RecordOutcome> process(List<ConsumerRecord<String, byte[]>> batch) throws Exception {
        // one adapter version for the whole batch, checks included
        return model.withAdapter(adapter -> {
            try {
                return BatchProcessor.<FeatureFrame>checkThenBatch(r -> check(adapter, r), frames -> project(adapter, frames))
                        .process(batch);
            } catch (Exception e) {
                throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
            }
        });
    }

    private static FeatureFrame check(Adapter adapter, ConsumerRecord<String, byte[]> record) {
        FeatureFrame f = FeatureFrame.CODEC.fromRecord(record);
        adapter.spec().checkFeatures(f.encoderModel(), f.layer(), f.keepCls(), f.features().dim(0), f.features().dim(1));
        return f;
    }

    private List<ProducerRecord<String, byte[]>> project(Adapter adapter, List<FeatureFrame> frames) {
        AdapterSpec spec = adapter.spec();
        List<float[]> prefixes = adapter.project(frames.stream().map(f -> f.features().toFloats()).toList());
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            Tensor prefix = Tensor.ofFloats(wireDtype, new long[] {adapter.prefixTokens(), spec.llm().hiddenSize()},
                    prefixes.get(i));
            // finite features can still give a non-finite prefix from a broken adapter (or one beyond the wire dtype's
            // range): never send one on. Throwing fails the batch; retries and bisection then dead-letter the images
            // it happens for, with this reason
            FiniteValues.check("the prefix adapter " + spec.id() + " computed for '" + frames.get(i).id() + "'", prefix);
            records.add(PrefixFrame.CODEC.toRecord(prefixesTopic, new PrefixFrame(frames.get(i).id(), prefix,
                    spec.id(), frames.get(i).encoderModel(), spec.llm().model(), Optional.of(spec.prompt().template()))));
        }
        return records;
    }
}
