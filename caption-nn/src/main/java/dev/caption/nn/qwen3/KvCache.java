package dev.caption.nn.qwen3;

import java.nio.FloatBuffer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.caption.nn.kernels.CpuKernels;
import dev.caption.nn.kernels.DecodeAttention;
import dev.caption.nn.modules.Scope;

/**
 * Keys and values of every layer for the positions seen so far. Each layer's buffer [B, kvHeads, capacity, Dh] is
 * allocated once, at the first append, and new positions are written into it in place; attention reads a view of
 * the first {@link #length()} positions. A generation that knows its maximum length passes it as the capacity; past
 * it, the buffers double (one copy), so a step never concatenates the whole cache.
 *
 * <p>The buffers live in the cache's own manager, so a generation step's scope can close without freeing them.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;          // per layer [B, kvHeads, capacity, Dh]
    private final NDArray[] values;        // per layer [B, kvHeads, capacity, Dh]
    private int capacity;
    private int length;
    /** The Java-side buffers of decoding steps on the CPU kernels, made at the first such step. */
    private DecodeState decodeState;

    /** A cache sized for {@code capacity} positions (prompt plus new tokens). */
    public KvCache(NDManager parent, int layers, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("KV cache capacity must be positive, not " + capacity);
        }
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.capacity = capacity;
    }

    /** Positions cached so far. */
    public int length() {
        return length;
    }

    /** Positions the buffers hold before they must grow. */
    public int capacity() {
        return capacity;
    }

    /**
     * Writes the new positions' keys and values [B, kvHeads, T, Dh] after the cached ones, and returns views of all
     * of them [B, kvHeads, length + T, Dh], owned by {@code step}.
     */
    NDArray[] append(int layer, NDArray k, NDArray v, NDManager step) {
        Shape shape = k.getShape();
        int end = length + (int) shape.get(2);
        makeRoom(layer, end, shape.get(0), shape.get(1), shape.get(3), k.getDataType());
        NDIndex fresh = new NDIndex().addAllDim(2).addSliceDim(length, end);      // [:, :, length:end]
        keys[layer].set(fresh, k);                       // past_key[:, :, length:end] = k   (in place)
        values[layer].set(fresh, v);
        NDIndex seen = new NDIndex().addAllDim(2).addSliceDim(0, end);             // [:, :, :end]
        // a view of the buffer made by an op on it would land in the cache's manager: the step owns it
        return new NDArray[] {Scope.into(step, keys[layer].get(seen)), Scope.into(step, values[layer].get(seen))};
    }

    /**
     * Writes one new position's keys and values per row, {@code k} and {@code v} [B, kvHeads, Dh] row-major, after
     * the cached ones: a decoding step whose activations are Java arrays. The length stays as it is until
     * {@link #advance}.
     */
    void write(int layer, float[] k, float[] v, int batch, int kvHeads, int headDim) {
        makeRoom(layer, length + 1, batch, kvHeads, headDim, DataType.FLOAT32);
        FloatBuffer keyBuffer = CpuKernels.memory(keys[layer]).asFloatBuffer();
        FloatBuffer valueBuffer = CpuKernels.memory(values[layer]).asFloatBuffer();
        for (int head = 0; head < batch * kvHeads; head++) {
            int at = (head * capacity + length) * headDim;                    // cache[row, kv, length, :]
            keyBuffer.put(at, k, head * headDim, headDim);
            valueBuffer.put(at, v, head * headDim, headDim);
        }
    }

    /**
     * Room in the layer's buffers for positions up to {@code end}: they grow if the capacity falls short, and are
     * allocated [B, kvHeads, capacity, Dh] at the layer's first write.
     */
    private void makeRoom(int layer, int end, long batch, long kvHeads, long headDim, DataType dtype) {
        if (end > capacity) {
            grow(end);
        }
        if (keys[layer] == null) {
            Shape full = new Shape(batch, kvHeads, capacity, headDim);
            keys[layer] = manager.zeros(full, dtype);
            values[layer] = manager.zeros(full, dtype);
        }
    }

    /**
     * The layer's buffers as the CPU attention kernel reads them, the first {@code keys} positions valid (those
     * cached so far and the ones just appended). Views of the buffers, valid until the cache grows or reorders.
     */
    DecodeAttention.Cache view(int layer, int keys) {
        return new DecodeAttention.Cache(CpuKernels.memory(this.keys[layer]), CpuKernels.memory(values[layer]),
                capacity, keys);
    }

    /** The buffers for a decoding step of {@code batch} rows on the CPU kernels: the same ones step after step. */
    DecodeState decodeState(Qwen3Config config, int batch) {
        if (decodeState == null || decodeState.batch != batch) {                  // beam search prunes rows
            if (decodeState != null) {
                decodeState.close();
            }
            decodeState = new DecodeState(config, batch, manager);
        }
        return decodeState;
    }

    /** Doubles the capacity until {@code needed} fits, copying the cached positions once. */
    private void grow(int needed) {
        int grown = capacity;
        while (grown < needed) {
            grown *= 2;
        }
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i] = regrown(keys[i], grown);
                values[i] = regrown(values[i], grown);
            }
        }
        capacity = grown;
    }

    private NDArray regrown(NDArray old, int grown) {
        Shape s = old.getShape();
        NDArray bigger = manager.zeros(new Shape(s.get(0), s.get(1), grown, s.get(3)), old.getDataType());
        try (NDManager scratch = manager.newSubManager()) {
            NDArray kept = Scope.into(scratch, old.get(new NDIndex(":, :, :{}, :", length)));
            bigger.set(new NDIndex(":, :, :{}, :", length), kept);
        }
        old.close();
        return bigger;
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Keeps only the given rows (beam search reorders and prunes hypotheses). */
    public void select(long[] rows) {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray index = scratch.create(rows);
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != null) {
                    keys[i] = reordered(keys[i], index);
                    values[i] = reordered(values[i], index);
                }
            }
        }
    }

    private NDArray reordered(NDArray buffer, NDArray index) {
        NDArray picked = buffer.get(new NDIndex("{}", index));        // buffer[rows]   [rows, kvHeads, capacity, Dh]
        picked.attach(manager);
        buffer.close();
        return picked;
    }

    @Override
    public void close() {
        manager.close();
    }
}
