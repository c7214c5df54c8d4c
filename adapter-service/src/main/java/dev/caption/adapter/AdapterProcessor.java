package dev.caption.adapter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * Feature frames to prefix frames: each frame is checked on its own against the spec of the adapter for its
 * modality (no adapter for it, another encoder, layer, CLS choice or shape, or an audio clip too short for the
 * strategy: DLQ, naming both sides), then the good ones go through their adapters, one batch per adapter (and per
 * clip length for audio).
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
        return model.withAdapters(adapters -> {
            try {
                return BatchProcessor.<FeatureFrame>checkThenBatch(r -> check(adapters, r), frames -> project(adapters, frames))
                        .process(batch);
            } catch (Exception e) {
                throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
            }
        });
    }

    private static FeatureFrame check(AdapterModel.Adapters adapters, ConsumerRecord<String, byte[]> record) {
        FeatureFrame f = FeatureFrame.CODEC.fromRecord(record);
        Adapter adapter = adapters.forModality(f.modality().wireName());
        adapter.spec().checkFeatures(f.encoderModel(), f.layer(), f.keepCls(), f.features().dim(0), f.features().dim(1));
        adapter.prefixTokens(Math.toIntExact(f.features().dim(0)));      // a clip too short for the strategy is refused
        return f;
    }

    /** The frames' prefixes in the frames' order (the loop pairs outputs with inputs by position). */
    private List<ProducerRecord<String, byte[]>> project(AdapterModel.Adapters adapters, List<FeatureFrame> frames) {
        Map<Adapter, List<Integer>> byAdapter = new LinkedHashMap<>();
        for (int i = 0; i < frames.size(); i++) {
            byAdapter.computeIfAbsent(adapters.forModality(frames.get(i).modality().wireName()), a -> new ArrayList<>()).add(i);
        }
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>(java.util.Collections.nCopies(frames.size(), null));
        byAdapter.forEach((adapter, positions) -> {
            List<ProducerRecord<String, byte[]>> theirs = project(adapter, positions.stream().map(frames::get).toList());
            for (int j = 0; j < positions.size(); j++) {
                records.set(positions.get(j), theirs.get(j));
            }
        });
        return records;
    }

    private List<ProducerRecord<String, byte[]>> project(Adapter adapter, List<FeatureFrame> frames) {
        AdapterSpec spec = adapter.spec();
        List<float[]> prefixes = adapter.project(frames.stream().map(f -> f.features().toFloats()).toList());
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        int hidden = spec.llm().hiddenSize();
        for (int i = 0; i < frames.size(); i++) {
            Tensor prefix = Tensor.ofFloats(wireDtype, new long[] {prefixes.get(i).length / hidden, hidden}, prefixes.get(i));
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
