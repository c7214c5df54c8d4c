package dev.caption.nn.clip;

import java.util.Objects;

import ai.djl.Device;
import dev.caption.nn.Devices;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.hub.ModelRef;

/**
 * Which CLIP features to compute: the checkpoint (a Hugging Face id with revision, or a directory), the hidden
 * state ({@code layer} indexes hidden states as transformers does: 0 the embeddings, negative from the end; -2,
 * LLaVA-1.5's penultimate layer, by default), whether the CLS token is kept, and the device. {@link #open} resolves
 * and loads it.
 */
public record ClipSpec(ModelRef model, int layer, boolean keepCls, Device device) {

    public static final int DEFAULT_LAYER = -2;

    public ClipSpec {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(device, "device");
    }

    /** A spec for {@code model} (hub id, {@code id@revision} or directory): layer -2, CLS dropped, CPU. */
    public static Builder builder(String model) {
        return new Builder(model);
    }

    public ClipEncoder open(HubEnvironment env, DownloadListener progress) {
        return ClipEncoder.load(this, env, progress);
    }

    public static final class Builder {
        private final String model;
        private String revision;
        private int layer = DEFAULT_LAYER;
        private boolean keepCls;
        private Device device = Device.cpu();

        private Builder(String model) {
            this.model = model;
        }

        public Builder revision(String revision) {
            this.revision = revision;
            return this;
        }

        public Builder layer(int layer) {
            this.layer = layer;
            return this;
        }

        public Builder keepCls(boolean keepCls) {
            this.keepCls = keepCls;
            return this;
        }

        public Builder device(Device device) {
            this.device = device;
            return this;
        }

        /** "cpu", "cuda" or "cuda:N" (fp32 on either; a CUDA build of libtorch is needed for the latter). */
        public Builder device(String device) {
            return device(Devices.parse(device));
        }

        public ClipSpec build() {
            return new ClipSpec(ModelRef.parse(model, revision), layer, keepCls, device);
        }
    }
}
