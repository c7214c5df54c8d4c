package dev.caption.nn.train;

/** Precomputed CLIP features by image id, [tokens, dim] row-major (training never re-runs CLIP). */
public interface FeatureSource {

    float[] features(String id);

    int tokens();

    int dim();
}
