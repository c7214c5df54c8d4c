package dev.caption.encoder;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import dev.caption.core.loop.BatchProcessor;
import dev.caption.core.loop.RecordOutcome;
import dev.caption.core.message.Modality;
import dev.caption.core.message.FeatureFrame;
import dev.caption.core.message.ImageEvent;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.image.ImageDecoder;
import dev.caption.image.RgbImage;
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

    /** A record that decoded: its event and pixels. */
    private record Decoded(ImageEvent event, RgbImage image) {
    }

    @Override
    public List<RecordOutcome> process(List<ConsumerRecord<String, byte[]>> batch) throws Exception {
        long t0 = System.nanoTime();
        return BatchProcessor.<Decoded>checkThenBatch(this::decode, decoded -> {
            long t1 = System.nanoTime();
            float[] pixels = encoder.preprocess(decoded.stream().map(Decoded::image).toList());
            long t2 = System.nanoTime();
            List<ClipEncoder.Features> features = encoder.encodePixels(pixels, decoded.size());
            timings.record(decoded.size(), t1 - t0, t2 - t1, System.nanoTime() - t2);
            List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
            for (int j = 0; j < features.size(); j++) {
                ClipEncoder.Features f = features.get(j);
                FeatureFrame frame = new FeatureFrame(decoded.get(j).event().id(),
                        Tensor.ofFloats(wireDtype, new long[] {f.tokens(), f.dim()}, f.values()),
                        encoder.modelId(), encoder.revision(), encoder.layer(), encoder.keepCls(), Modality.IMAGE);
                out.add(FeatureFrame.CODEC.toRecord(featuresTopic, frame));
            }
            return out;
        }).process(batch);
    }

    private Decoded decode(ConsumerRecord<String, byte[]> record) {
        ImageEvent event = ImageEvent.CODEC.fromRecord(record);
        if (event.bytes().length > maxImageBytes) {
            throw new IllegalArgumentException("image of " + event.bytes().length + " bytes exceeds the "
                    + maxImageBytes + "-byte limit");
        }
        return new Decoded(event, decoder.decode(event.bytes()));
    }
}
