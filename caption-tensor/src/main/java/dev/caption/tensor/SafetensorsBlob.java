package dev.caption.tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A decoded safetensors blob: metadata and tensors by name. */
public record SafetensorsBlob(Map<String, String> metadata, Map<String, Tensor> tensors) {

    public SafetensorsBlob {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** The named tensor; a clear error naming what is there when it is absent. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException("safetensors blob has no tensor '" + name + "' (it has "
                    + tensors.keySet() + ")");
        }
        return t;
    }
}
