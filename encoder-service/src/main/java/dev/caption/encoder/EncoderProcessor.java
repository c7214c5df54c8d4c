package dev.caption.encoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.caption.core.loop.BatchProcessor;
import dev.caption.core.loop.RecordOutcome;
import dev.caption.core.message.FeatureFrame;
import dev.caption.core.message.ImageEvent;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.nn.clip.ImageDecoder;
import dev.caption.nn.clip.RgbImage;
import dev.caption.tensor.DType;
import dev.caption.tensor.Tensor;

/**
 * Image events to feature frames: each record is decoded on its own (bad bytes fail that record alone, to the
 * DLQ), then the good ones go through CLIP in one forward pass (a failure there fails the batch: the loop
 * retries, then splits it).
 */
public final class EncoderProcessor implements BatchProcessor {

    private final ClipEncoder encoder;
    private final ImageDecoder decoder;
    private final String featuresTopic;
    private final DType wireDtype;
    private final int maxImageBytes;
    private final Timings timings;

    /** Where the time of a batch went, for metrics. */
    @FunctionalInterface
    public interface Timings {
        void record(int images, long decodeNanos, long preprocessNanos, long forwardNanos);

        Timings NONE = (images, decode, preprocess, forward) -> { };
    }

    public EncoderProcessor(ClipEncoder encoder, ImageDecoder decoder, String featuresTopic, DType wireDtype,
                            int maxImageBytes, Timings timings) {
        this.timings = timings;
        this.encoder = encoder;
        this.decoder = decoder;
        this.featuresTopic = featuresTopic;
        this.wireDtype = wireDtype;
        this.maxImageBytes = maxImageBytes;
    }

    @Override
    public List<RecordOutcome> process(List<ConsumerRecord<String, byte[]>> batch) {
        RecordOutcome[] outcomes = new RecordOutcome[batch.size()];
        List<Integer> positions = new ArrayList<>();
        List<ImageEvent> events = new ArrayList<>();
        List<RgbImage> images = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < batch.size(); i++) {
            try {
                ImageEvent event = ImageEvent.CODEC.fromRecord(batch.get(i));
                if (event.bytes().length > maxImageBytes) {
                    throw new IllegalArgumentException("image of " + event.bytes().length + " bytes exceeds the "
                            + maxImageBytes + "-byte limit");
                }
                images.add(decoder.decode(event.bytes()));
                events.add(event);
                positions.add(i);
            } catch (RuntimeException e) {
                outcomes[i] = RecordOutcome.fail(e);
            }
        }
        if (!images.isEmpty()) {
            long t1 = System.nanoTime();
            float[] pixels = encoder.preprocess(images);
            long t2 = System.nanoTime();
            List<ClipEncoder.Features> features = encoder.encodePixels(pixels, images.size());
            timings.record(images.size(), t1 - t0, t2 - t1, System.nanoTime() - t2);
            for (int j = 0; j < features.size(); j++) {
                ClipEncoder.Features f = features.get(j);
                FeatureFrame frame = new FeatureFrame(events.get(j).id(),
                        Tensor.ofFloats(wireDtype, new long[] {f.tokens(), f.dim()}, f.values()),
                        encoder.modelId(), encoder.revision(), encoder.layer(), encoder.keepCls());
                outcomes[positions.get(j)] = RecordOutcome.emit(FeatureFrame.CODEC.toRecord(featuresTopic, frame));
            }
        }
        return Arrays.asList(outcomes);
    }
}
