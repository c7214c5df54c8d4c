package dev.caption.adapter;

import java.nio.file.Path;
import java.util.List;
import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.caption.service.WireDtype;

/** {@code caption.adapter.*} in application.properties (or CAPTION_ADAPTER_* environment variables). */
@ConfigMapping(prefix = "caption.adapter")
public interface AdapterConfig {

    /**
     * Directories with adapter.json and adapter.safetensors (what `caption train` writes to OUT/best), comma
     * separated: one adapter per modality, so an image adapter, an audio adapter, or one of each. Each feature frame
     * goes to the adapter of its modality.
     */
    List<Path> path();

    /** cpu, cuda or cuda:N. */
    @WithDefault("cpu")
    String device();

    /** Prefix dtype on the wire: f16 or f32. */
    @WithDefault("f16")
    WireDtype wireDtype();

    /**
     * How often to look for a new adapter version in {@link #path()} (a changed adapter.json or adapter.safetensors);
     * PT0S turns reloading off. A new version is loaded beside the old one and switched in between batches.
     */
    @WithDefault("PT10S")
    Duration reloadInterval();
}
