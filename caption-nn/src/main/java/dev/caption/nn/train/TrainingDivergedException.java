package dev.caption.nn.train;

/**
 * Training stopped because the loss or the gradient was not a finite number several steps in a row. Nothing of
 * those steps was applied: {@code OUT/best} and {@code OUT/last} still hold the last good epoch, if there was one.
 */
public final class TrainingDivergedException extends IllegalStateException {

    private final long step;
    private final double learningRate;
    private final transient TrainingHistory history;

    TrainingDivergedException(String what, long step, double learningRate, TrainingHistory history) {
        super("training diverged: " + (AdapterTrainer.MAX_SKIPPED_IN_A_ROW + 1) + " steps in a row had a non-finite "
                + "loss or gradient (the last, step " + step + ": " + what + "); lower the learning rate (now "
                + String.format(java.util.Locale.ROOT, "%.3g", learningRate) + ") or raise --warmup");
        this.step = step;
        this.learningRate = learningRate;
        this.history = history;
    }

    /** The epochs and steps completed before it diverged. */
    public TrainingHistory history() {
        return history;
    }

    /** The step (1-based) whose loss or gradient was not finite. */
    public long step() {
        return step;
    }

    public double learningRate() {
        return learningRate;
    }
}
