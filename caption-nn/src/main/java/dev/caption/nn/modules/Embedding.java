package dev.caption.nn.modules;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/** nn.Embedding lookups whose result lands in the caller's scope, not in the table's (the model's) manager. */
public final class Embedding {

    private Embedding() {
    }

    /** table[ids]: ids of any shape [...] -> [..., D]. PyTorch: {@code F.embedding(ids, table)}. */
    public static NDArray lookup(NDArray table, NDArray ids, NDManager scope) {
        Shape shape = ids.getShape();
        NDArray rows = Scope.into(scope, table.get(new NDIndex("{}", ids.flatten())));   // [N, D]
        return rows.reshape(shape.addAll(new Shape(table.getShape().get(1))));
    }

    /** table[ids] for token ids given as Java longs: [n] -> [n, D]. */
    public static NDArray lookup(NDArray table, long[] ids, NDManager scope) {
        return lookup(table, scope.create(ids), scope);
    }

    /** One row, table[i]: [D]. */
    public static NDArray row(NDArray table, long i, NDManager scope) {
        return Scope.into(scope, table.get(i));
    }
}
