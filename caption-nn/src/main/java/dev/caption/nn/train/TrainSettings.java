package dev.caption.nn.train;

/**
 * Hyper-parameters of an adapter training run.
 *
 * @param allCaptions   every (image, caption) pair per epoch, instead of one random caption per image
 * @param warmupSteps   linear warm-up from 0, then cosine decay to 0 at the last step
 * @param clipNorm      global gradient-norm clipping (0: none)
 * @param maxCaptionTokens captions are cut to this many tokens (plus the closing <|im_end|>)
 * @param maxSteps      stop after this many optimizer steps in all (0: run every epoch)
 */
public record TrainSettings(int epochs, int batchSize, double learningRate, double weightDecay, int warmupSteps,
                            double clipNorm, boolean allCaptions, long seed, int maxCaptionTokens, int maxSteps) {

    public TrainSettings {
        if (epochs < 1 || batchSize < 1) {
            throw new IllegalArgumentException("epochs and batch size must be at least 1");
        }
        if (learningRate <= 0) {
            throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
        }
    }

    public static TrainSettings defaults() {
        return new TrainSettings(3, 8, 1e-3, 0.01, 20, 1.0, false, 0, 48, 0);
    }

    public TrainSettings withEpochs(int n) {
        return new TrainSettings(n, batchSize, learningRate, weightDecay, warmupSteps, clipNorm, allCaptions, seed,
                maxCaptionTokens, maxSteps);
    }
}
