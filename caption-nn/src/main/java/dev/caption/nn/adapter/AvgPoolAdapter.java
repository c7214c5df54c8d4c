package dev.caption.nn.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * {@code avgpool}: the patch grid g×g average-pooled to s×s exactly as F.adaptive_avg_pool2d bins it (bin i covers
 * rows floor(i·g/s) .. ceil((i+1)·g/s)-1), then mlp2x_gelu. Option {@code grid} (s, default 3).
 */
final class AvgPoolAdapter extends Adapter {

    final Mlp2xGelu mlp;         // mlp.0, mlp.2
    private final int s;
    private final float[] poolT; // [g*g, s*s]: the pooling as a matrix, transposed

    AvgPoolAdapter(AdapterSpec spec, NDManager m, AdapterParams p) {
        super(spec, m, p);
        requireImage("pools the image's square patch grid");
        s = spec.option("grid", 3);
        int g = grid();
        if (s < 1 || s > g) {
            throw new IllegalArgumentException("avgpool grid " + s + " must be between 1 and the patch grid " + g);
        }
        mlp = Mlp2xGelu.of(p, "mlp.", spec.vision().dim(), spec.llm().hiddenSize());
        poolT = new float[g * g * s * s];
        for (int oy = 0; oy < s; oy++) {
            int y0 = Math.floorDiv(oy * g, s);
            int y1 = -Math.floorDiv(-(oy + 1) * g, s);
            for (int ox = 0; ox < s; ox++) {
                int x0 = Math.floorDiv(ox * g, s);
                int x1 = -Math.floorDiv(-(ox + 1) * g, s);
                float w = 1f / ((y1 - y0) * (x1 - x0));
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        poolT[(y * g + x) * s * s + oy * s + ox] = w;
                    }
                }
            }
        }
    }

    @Override
    public NDArray forward(NDArray features) {
        return mlp.forward(pool(features));                                    // [B, s*s, Dl]
    }

    /** The patch grid average-pooled: [B, tokens, Dv] -> [B, s*s, Dv]. */
    NDArray pool(NDArray features) {
        NDArray patches = patches(features);                                   // [B, g*g, Dv]
        long gg = patches.getShape().get(1);
        NDArray pool = features.getManager().create(poolT, new Shape(gg, (long) s * s));
        // adaptive_avg_pool2d(x.view(B, g, g, Dv).permute(0, 3, 1, 2), s).flatten(2).transpose(1, 2)   [B, s*s, Dv]
        return patches.transpose(0, 2, 1).matMul(pool).transpose(0, 2, 1);
    }

    @Override
    public int prefixTokens() {
        return s * s;
    }
}
