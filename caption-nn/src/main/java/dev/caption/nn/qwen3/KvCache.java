package dev.caption.nn.qwen3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of every layer for the positions seen so far: [B, kvHeads, S, Dh] per layer. The arrays live in
 * the cache's own manager, so a generation step's scope can close without freeing them.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    public KvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Positions cached so far. */
    public int length() {
        return length;
    }

    NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray newK = keys[layer] == null ? k : keys[layer].concat(k, 2);
        NDArray newV = values[layer] == null ? v : values[layer].concat(v, 2);
        newK.attach(manager);
        newV.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = newK;
        values[layer] = newV;
        return new NDArray[] {newK, newV};
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Keeps only the given rows (beam search reorders and prunes hypotheses). */
    public void select(long[] rows) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                NDArray index = manager.create(rows);
                NDArray k = keys[i].get(new ai.djl.ndarray.index.NDIndex("{}", index));
                NDArray v = values[i].get(new ai.djl.ndarray.index.NDIndex("{}", index));
                k.attach(manager);
                v.attach(manager);
                keys[i].close();
                values[i].close();
                index.close();
                keys[i] = k;
                values[i] = v;
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
