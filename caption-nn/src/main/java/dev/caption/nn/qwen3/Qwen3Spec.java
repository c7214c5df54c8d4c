package dev.caption.nn.qwen3;

import java.util.Objects;

import ai.djl.Device;
import dev.caption.nn.Devices;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.hub.ModelRef;

/**
 * Which Qwen3 to run and how: a Hugging Face id (with revision) or a directory, the device and the compute
 * precision. {@link #open} resolves the checkpoint (downloading it if needed) and loads it.
 */
public record Qwen3Spec(ModelRef model, Device device, Precision precision) {

    public Qwen3Spec {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(precision, "precision");
    }

    /** A spec for {@code model} (hub id, {@code id@revision} or directory): CPU, automatic precision. */
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

        public Qwen3Spec build() {
            return new Qwen3Spec(ModelRef.parse(model, revision), device, precision);
        }
    }
}
