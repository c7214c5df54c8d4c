package dev.caption.nn.bert;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

import ai.djl.Device;
import dev.caption.nn.Devices;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.hub.ModelRef;

/**
 * Which BERTScore to compute: the encoder checkpoint (hub id with revision, or directory), the layer (empty:
 * bert_score's default for the model), baseline rescaling, the device and the sentences per model call.
 * {@link #open} resolves the checkpoint, the layer and the baseline, and loads the scorer.
 */
public record BertScoreSpec(ModelRef model, Optional<Integer> layer, Rescaling rescaling, Device device, int batchSize) {

    public static final String DEFAULT_MODEL = "roberta-large";
    public static final int DEFAULT_BATCH = 64;

    /** Whether and how P, R and F are rescaled: {@code (x - b) / (1 - b)}. */
    public sealed interface Rescaling {
        /** Raw scores. */
        record None() implements Rescaling {
        }

        /** bert_score's built-in baseline for the model and layer (roberta-large at 17). */
        record BuiltIn() implements Rescaling {
        }

        /** A baseline file in bert_score's format. */
        record File(Path path) implements Rescaling {
        }

        Rescaling NONE = new None();
        Rescaling BUILT_IN = new BuiltIn();

        /** The choice of a {@code --rescale} flag and a {@code --baseline FILE} option (the file wins). */
        static Rescaling of(boolean builtIn, Path file) {
            return file != null ? new File(file) : builtIn ? BUILT_IN : NONE;
        }
    }

    public BertScoreSpec {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(rescaling, "rescaling");
        Objects.requireNonNull(device, "device");
        if (batchSize < 1) {
            throw new IllegalArgumentException("the BERTScore batch size must be at least 1, got " + batchSize);
        }
    }

    public static Builder builder(String model) {
        return new Builder(model);
    }

    /**
     * Loads the scorer.
     *
     * @throws MissingLayerException when no layer is given and bert_score has no default for the model
     */
    public BertScorer open(HubEnvironment env, DownloadListener progress) {
        return BertScorer.load(this, env, progress);
    }

    /** The model has no default layer in bert_score's table, and none was given. */
    public static final class MissingLayerException extends IllegalArgumentException {
        private final String modelId;

        MissingLayerException(String modelId, String known) {
            super("no default BERTScore layer for " + modelId + "; give one (bert_score's model2layers knows " + known + ")");
            this.modelId = modelId;
        }

        /** The same error, naming the setting that gives the layer ({@code --layer}, {@code --bertscore-layer}...). */
        public IllegalArgumentException naming(String setting) {
            return new IllegalArgumentException(getMessage().replace("; give one", "; pass one with " + setting), this);
        }

        public String modelId() {
            return modelId;
        }
    }

    public static final class Builder {
        private final String model;
        private String revision;
        private Optional<Integer> layer = Optional.empty();
        private Rescaling rescaling = Rescaling.NONE;
        private Device device = Device.cpu();
        private int batchSize = DEFAULT_BATCH;

        private Builder(String model) {
            this.model = model;
        }

        public Builder revision(String revision) {
            this.revision = revision;
            return this;
        }

        /** The hidden state used; empty means bert_score's default for the model. */
        public Builder layer(Optional<Integer> layer) {
            this.layer = layer;
            return this;
        }

        public Builder layer(int layer) {
            return layer(Optional.of(layer));
        }

        public Builder rescaling(Rescaling rescaling) {
            this.rescaling = rescaling;
            return this;
        }

        public Builder device(Device device) {
            this.device = device;
            return this;
        }

        public Builder device(String device) {
            return device(Devices.parse(device));
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public BertScoreSpec build() {
            return new BertScoreSpec(ModelRef.parse(model, revision), layer, rescaling, device, batchSize);
        }
    }
}
