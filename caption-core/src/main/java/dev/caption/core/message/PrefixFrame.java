package dev.caption.core.message;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import dev.caption.tensor.Tensor;

/**
 * The adapter's output for one image, on {@code caption.prefixes}: a safetensors blob with one tensor
 * {@code prefix} of shape [n, d_llm] (F16 on the wire by default), to be spliced into the LLM prompt.
 *
 * @param adapter      the adapter id
 * @param encoderModel the CLIP model the features came from
 * @param llmModel     the LLM the adapter projects into; the llm-service refuses other ones
 * @param prompt       the adapter's prompt, with one {@code {prefix}} where the prefix goes (absent in frames of
 *                     earlier versions: the llm-service then uses the image prompt)
 */
public record PrefixFrame(String id, Tensor prefix, String adapter, String encoderModel, String llmModel,
                          Optional<String> prompt) {

    public static final String KIND = "prefix";
    public static final String TENSOR = "prefix";
    public static final String META_ADAPTER = "adapter.id";
    public static final String META_ENCODER_MODEL = "encoder.model";
    public static final String META_LLM_MODEL = "llm.model";
    public static final String META_PROMPT = "prompt";

    public static final MessageCodec<PrefixFrame> CODEC = new MessageCodec<>() {
        @Override
        public ProducerRecord<String, byte[]> toRecord(String topic, PrefixFrame p) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(META_ADAPTER, p.adapter());
            meta.put(META_ENCODER_MODEL, p.encoderModel());
            meta.put(META_LLM_MODEL, p.llmModel());
            p.prompt().ifPresent(t -> meta.put(META_PROMPT, t));
            return TensorFrames.toRecord(topic, p.id(), KIND, TENSOR, p.prefix(), meta);
        }

        @Override
        public PrefixFrame fromRecord(ConsumerRecord<String, byte[]> record) {
            TensorFrames.Decoded d = TensorFrames.fromRecord(record, KIND, TENSOR);
            return new PrefixFrame(d.id(), d.tensor(), d.require(META_ADAPTER), d.require(META_ENCODER_MODEL),
                    d.require(META_LLM_MODEL), Optional.ofNullable(d.metadata().get(META_PROMPT)));
        }
    };

    public PrefixFrame {
        Messages.requireId(id, "PrefixFrame");
        Messages.require(prefix != null, "PrefixFrame '" + id + "' has no prefix");
        TensorFrames.checkMatrix(KIND, id, prefix);
        Messages.require(adapter != null && !adapter.isBlank(), "PrefixFrame '" + id + "' has no adapter id");
        Messages.require(encoderModel != null && !encoderModel.isBlank(), "PrefixFrame '" + id + "' has no encoder model");
        Messages.require(llmModel != null && !llmModel.isBlank(), "PrefixFrame '" + id + "' has no LLM model");
        Messages.require(prompt != null, "PrefixFrame '" + id + "' has a null prompt (use Optional.empty())");
    }
}
