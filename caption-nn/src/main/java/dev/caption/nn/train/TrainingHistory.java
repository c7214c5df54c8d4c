package dev.caption.nn.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-step training loss and per-epoch losses of a run, for the loss-curve plot and for resuming, and the steps
 * skipped because their loss or gradient was not finite (what happened, at which step).
 */
public record TrainingHistory(List<Double> stepLoss, List<Epoch> epochs, List<String> skipped) {

    /** After epoch {@code epoch} (1-based) at optimizer step {@code step}: mean train loss and validation loss. */
    public record Epoch(int epoch, int step, double trainLoss, double validationLoss) {
    }

    public TrainingHistory {
        stepLoss = new ArrayList<>(stepLoss == null ? List.of() : stepLoss);
        epochs = new ArrayList<>(epochs == null ? List.of() : epochs);
        skipped = new ArrayList<>(skipped == null ? List.of() : skipped);
    }

    public static TrainingHistory empty() {
        return new TrainingHistory(List.of(), List.of(), List.of());
    }

    public double bestValidationLoss() {
        return epochs.stream().mapToDouble(Epoch::validationLoss).min().orElse(Double.NaN);
    }
}
