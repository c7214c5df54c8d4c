package dev.caption.nn.weights;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.caption.tensor.DType;
import dev.caption.tensor.Float16;
import dev.caption.tensor.Safetensors;
import dev.caption.tensor.Tensor;

/**
 * Writes a random-weight checkpoint in the hub's layout (bf16 safetensors shards plus
 * {@code model.safetensors.index.json} when there is more than one), for benchmarks at real sizes where no real
 * weights can be had: speed does not depend on the weights' values. Values are uniform in ±0.03.
 */
public final class RandomCheckpoint {

    private RandomCheckpoint() {
    }

    /** Shards of at most {@code maxShardBytes}; returns the weight files written. */
    public static List<String> write(Path dir, Map<String, long[]> shapes, long maxShardBytes, long seed) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom random = new SplittableRandom(seed);
        List<Map<String, long[]>> shards = new ArrayList<>();
        Map<String, long[]> current = new LinkedHashMap<>();
        long bytes = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long n = 2 * Safetensors.elementCount(e.getValue());
            if (!current.isEmpty() && bytes + n > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                bytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            bytes += n;
        }
        shards.add(current);
        List<String> files = new ArrayList<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String name = shards.size() == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : shards.get(i).entrySet()) {
                int n = (int) Safetensors.elementCount(e.getValue());
                ByteBuffer buf = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < n; k++) {
                    buf.putShort(Float16.floatToBf16((float) ((random.nextDouble() - 0.5) * 0.06)));
                }
                buf.flip();
                tensors.put(e.getKey(), Tensor.of(DType.BF16, e.getValue(), buf));
                weightMap.put(e.getKey(), name);
            }
            try (OutputStream out = Files.newOutputStream(dir.resolve(name))) {
                out.write(Safetensors.encode(tensors, Map.of("format", "pt", "note", "random weights for benchmarks")));
            }
            files.add(name);
        }
        if (shards.size() > 1) {
            new ObjectMapper().writeValue(dir.resolve("model.safetensors.index.json").toFile(),
                    Map.of("metadata", Map.of(), "weight_map", weightMap));
        }
        return files;
    }
}
