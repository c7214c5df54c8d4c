package dev.caption.nn.train;

/**
 * Hyper-parameters of an adapter training run. Build one with {@link #builder()}; every field has the default that
 * {@code caption train} uses.
 *
 * @param epochs           passes over the training images
 * @param batchSize        rows per optimizer step
 * @param learningRate     AdamW's peak learning rate
 * @param weightDecay      AdamW's decoupled weight decay
 * @param warmupSteps      linear warm-up from 0, then cosine decay to 0 at the last step
 * @param clipNorm         global gradient-norm clipping (0: none)
 * @param allCaptions      every (image, caption) pair per epoch, instead of one random caption per image
 * @param seed             initialisation, epoch order and caption draws
 * @param maxCaptionTokens captions are cut to this many tokens (plus the closing <|im_end|>)
 * @param maxSteps         stop after this many optimizer steps in all (0: run every epoch)
 */
public record TrainSettings(int epochs, int batchSize, double learningRate, double weightDecay, int warmupSteps,
                            double clipNorm, boolean allCaptions, long seed, int maxCaptionTokens, int maxSteps) {

    public TrainSettings {
        if (epochs < 1 || batchSize < 1) {
            throw new IllegalArgumentException("epochs and batch size must be at least 1");
        }
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
        }
        if (warmupSteps < 0 || maxSteps < 0 || maxCaptionTokens < 1) {
            throw new IllegalArgumentException("warm-up and step limits must not be negative, caption tokens at least 1");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        return new Builder().epochs(epochs).batchSize(batchSize).learningRate(learningRate).weightDecay(weightDecay)
                .warmupSteps(warmupSteps).clipNorm(clipNorm).allCaptions(allCaptions).seed(seed)
                .maxCaptionTokens(maxCaptionTokens).maxSteps(maxSteps);
    }

    public static final class Builder {
        private int epochs = 3;
        private int batchSize = 8;
        private double learningRate = 1e-3;
        private double weightDecay = 0.01;
        private int warmupSteps = 20;
        private double clipNorm = 1.0;
        private boolean allCaptions;
        private long seed;
        private int maxCaptionTokens = 48;
        private int maxSteps;

        public Builder epochs(int v) { epochs = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder clipNorm(double v) { clipNorm = v; return this; }
        public Builder allCaptions(boolean v) { allCaptions = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder maxCaptionTokens(int v) { maxCaptionTokens = v; return this; }
        public Builder maxSteps(int v) { maxSteps = v; return this; }

        public TrainSettings build() {
            return new TrainSettings(epochs, batchSize, learningRate, weightDecay, warmupSteps, clipNorm, allCaptions,
                    seed, maxCaptionTokens, maxSteps);
        }
    }
}
