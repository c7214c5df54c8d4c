package dev.caption.nn.train;

/** Progress of a training run, for progress bars and logs. */
public interface TrainingListener {

    /** After each optimizer step (1-based) of {@code totalSteps}. */
    default void onStep(int step, int totalSteps, double loss, double learningRate, double tokensPerSecond) {
    }

    /** A step whose loss or gradient was not finite was skipped: nothing of it was applied. */
    default void onSkippedStep(int step, String what) {
    }

    /** After each epoch's validation; {@code best} when the checkpoint was saved as the new best. */
    default void onEpoch(int epoch, double trainLoss, double validationLoss, boolean best) {
    }

    TrainingListener NONE = new TrainingListener() {
    };
}
