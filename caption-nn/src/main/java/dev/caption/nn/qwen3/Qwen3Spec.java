package dev.caption.nn.qwen3;

import java.util.Objects;

import ai.djl.Device;
import dev.caption.nn.Devices;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.hub.ModelRef;

/**
 * Which Qwen3 to run and how: a Hugging Face id (with revision) or a directory, the device, the compute precision
 * and what it is loaded for. {@link #open} resolves the checkpoint (downloading it if needed) and loads it.
 */
public record Qwen3Spec(ModelRef model, Device device, Precision precision, Qwen3ForCausalLM.Use use) {

    public Qwen3Spec {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(use, "use");
    }

    /**
     * A spec for {@code model} (hub id, {@code id@revision} or directory): CPU, automatic precision, loaded for
     * generation.
     */
    public static Builder builder(String model) {
        return new Builder(model);
    }

    public Qwen3Captioner open(HubEnvironment env, DownloadListener progress) {
        return Qwen3Captioner.load(this, env, progress);
    }

    public static final class Builder {
        private final String model;
        private String revision;
        private Device device = Device.cpu();
        private Precision precision = Precision.AUTO;
        private Qwen3ForCausalLM.Use use = Qwen3ForCausalLM.Use.GENERATION;

        private Builder(String model) {
            this.model = model;
        }

        /** Branch, tag or commit; null or absent means the one in the id, else {@code main}. */
        public Builder revision(String revision) {
            this.revision = revision;
            return this;
        }

        public Builder device(Device device) {
            this.device = device;
            return this;
        }

        /** "cpu", "cuda" or "cuda:N". */
        public Builder device(String device) {
            return device(Devices.parse(device));
        }

        public Builder precision(Precision precision) {
            this.precision = precision;
            return this;
        }

        /** What the model is for: training needs gradients through it; generation can use the CPU kernels. */
        public Builder use(Qwen3ForCausalLM.Use use) {
            this.use = use;
            return this;
        }

        public Qwen3Spec build() {
            return new Qwen3Spec(ModelRef.parse(model, revision), device, precision, use);
        }
    }
}
