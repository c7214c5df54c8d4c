package dev.caption.core.message;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import dev.caption.tensor.DType;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.SafetensorsBlob;
import dev.caption.tensor.SafetensorsException;
import dev.caption.tensor.Tensor;

/** The shared safetensors framing of {@link FeatureFrame} and {@link PrefixFrame}: one 2-D float tensor + metadata. */
final class TensorFrames {

    static final String META_ID = "id";
    static final String META_KIND = "kind";

    private TensorFrames() {
    }

    static ProducerRecord<String, byte[]> toRecord(String topic, String id, String kind, String tensorName,
                                                   Tensor tensor, Map<String, String> metadata) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(META_ID, id);
        meta.put(META_KIND, kind);
        meta.putAll(metadata);
        byte[] blob = Safetensors.encode(Map.of(tensorName, tensor), meta);
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, id, blob);
        CaptionHeaders.put(record.headers(), CaptionHeaders.CONTENT_TYPE, CaptionHeaders.CONTENT_TYPE_SAFETENSORS);
        return record;
    }

    /** A decoded frame: its id, tensor and metadata, validated. */
    record Decoded(String id, Tensor tensor, Map<String, String> metadata) {
        String require(String key) {
            String v = metadata.get(key);
            if (v == null || v.isEmpty()) {
                throw new MalformedMessageException("frame '" + id + "' lacks metadata '" + key + "'");
            }
            return v;
        }
    }

    static Decoded fromRecord(ConsumerRecord<String, byte[]> record, String kind, String tensorName) {
        SafetensorsBlob blob;
        try {
            blob = Safetensors.decode(record.value());
        } catch (SafetensorsException e) {
            throw new MalformedMessageException(kind + " frame is not a valid safetensors blob: " + e.getMessage(), e);
        }
        Messages.requireKey(record.key(), blob.metadata().get(META_ID), kind + " frame");
        String id = record.key();
        String actualKind = blob.metadata().get(META_KIND);
        if (actualKind != null && !actualKind.equals(kind)) {
            throw new MalformedMessageException("expected a " + kind + " frame, got a " + actualKind + " frame");
        }
        Tensor tensor = blob.tensors().get(tensorName);
        if (tensor == null) {
            throw new MalformedMessageException(kind + " frame '" + id + "' has no tensor '" + tensorName
                    + "' (it has " + blob.tensors().keySet() + ")");
        }
        checkMatrix(kind, id, tensor);
        FiniteValues.check(kind + " frame '" + id + "': tensor '" + tensorName + "'", tensor);
        return new Decoded(id, tensor, blob.metadata());
    }

    static void checkMatrix(String kind, String id, Tensor tensor) {
        if (tensor.rank() != 2 || tensor.dim(0) == 0 || tensor.dim(1) == 0) {
            throw new MalformedMessageException(kind + " frame '" + id + "' must hold a non-empty [tokens, dim] "
                    + "matrix, got shape " + Arrays.toString(tensor.shape()));
        }
        if (tensor.dtype() != DType.F16 && tensor.dtype() != DType.F32 && tensor.dtype() != DType.BF16) {
            throw new MalformedMessageException(kind + " frame '" + id + "' must be F16, BF16 or F32, got "
                    + tensor.dtype());
        }
    }
}
