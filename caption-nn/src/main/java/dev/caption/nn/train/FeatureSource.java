package dev.caption.nn.train;

/**
 * Precomputed encoder features by id, row-major (training never re-runs the encoder): [tokens, dim] for an image,
 * [frames, dim] for an audio clip, as many frames as the clip covers.
 */
public interface FeatureSource {

    float[] features(String id);

    /** Rows of every image's features; for audio, the most frames a clip may have. */
    int tokens();

    int dim();
}
