package dev.caption.core.message;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import dev.caption.tensor.Tensor;

/**
 * Encoder features of one image (CLIP) or audio clip (Whisper), on {@code caption.features}: a safetensors blob
 * with one tensor {@code features} of shape [tokens, d] (F16 on the wire by default) and metadata naming the encoder,
 * the modality and the number of frames. An audio clip keeps only the frames that cover its real audio, so its
 * token count follows its length.
 *
 * @param encoderModel    the CLIP model id or directory
 * @param encoderRevision the resolved revision (commit), or "local"
 * @param layer           the hidden-state index the features come from (-2 = penultimate)
 * @param keepCls         whether the CLS token is row 0
 */
public record FeatureFrame(String id, Tensor features, String encoderModel, String encoderRevision, int layer,
                           boolean keepCls, Modality modality) {

    public static final String KIND = "features";
    public static final String TENSOR = "features";
    public static final String META_ENCODER_MODEL = "encoder.model";
    public static final String META_ENCODER_REVISION = "encoder.revision";
    public static final String META_ENCODER_LAYER = "encoder.layer";
    public static final String META_ENCODER_CLS = "encoder.cls";
    /** Absent in frames written before audio existed: those are images. */
    public static final String META_MODALITY = "encoder.modality";
    public static final String META_FRAMES = "features.frames";

    public static final MessageCodec<FeatureFrame> CODEC = new MessageCodec<>() {
        @Override
        public ProducerRecord<String, byte[]> toRecord(String topic, FeatureFrame f) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(META_ENCODER_MODEL, f.encoderModel());
            meta.put(META_ENCODER_REVISION, f.encoderRevision());
            meta.put(META_ENCODER_LAYER, Integer.toString(f.layer()));
            meta.put(META_ENCODER_CLS, Boolean.toString(f.keepCls()));
            meta.put(META_MODALITY, f.modality().wireName());
            meta.put(META_FRAMES, Long.toString(f.features().dim(0)));
            return TensorFrames.toRecord(topic, f.id(), KIND, TENSOR, f.features(), meta);
        }

        @Override
        public FeatureFrame fromRecord(ConsumerRecord<String, byte[]> record) {
            TensorFrames.Decoded d = TensorFrames.fromRecord(record, KIND, TENSOR);
            int layer;
            try {
                layer = Integer.parseInt(d.require(META_ENCODER_LAYER));
            } catch (NumberFormatException e) {
                throw new MalformedMessageException("features frame '" + d.id() + "' has a non-integer "
                        + META_ENCODER_LAYER + " '" + d.metadata().get(META_ENCODER_LAYER) + "'");
            }
            String modality = d.metadata().get(META_MODALITY);
            return new FeatureFrame(d.id(), d.tensor(), d.require(META_ENCODER_MODEL),
                    d.require(META_ENCODER_REVISION), layer, Boolean.parseBoolean(d.require(META_ENCODER_CLS)),
                    modality == null ? Modality.IMAGE : Modality.parse(modality));
        }
    };

    public FeatureFrame {
        Messages.requireId(id, "FeatureFrame");
        Messages.require(features != null, "FeatureFrame '" + id + "' has no features");
        TensorFrames.checkMatrix(KIND, id, features);
        Messages.require(encoderModel != null && !encoderModel.isBlank(), "FeatureFrame '" + id + "' has no encoder model");
        Messages.require(encoderRevision != null, "FeatureFrame '" + id + "' has no encoder revision");
        Messages.require(modality != null, "FeatureFrame '" + id + "' has no modality");
    }
}
