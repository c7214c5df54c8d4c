package dev.caption.encoder;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.caption.core.message.Modality;
import dev.caption.service.WireDtype;

/** {@code caption.encoder.*} in application.properties (or CAPTION_ENCODER_* environment variables). */
@ConfigMapping(prefix = "caption.encoder")
public interface EncoderConfig {

    /**
     * What this deployment encodes: {@code image} (CLIP, from caption.images) or {@code audio} (a Whisper
     * encoder, from caption.audio; set {@link #model()} to a Whisper checkpoint, e.g. openai/whisper-base).
     */
    @WithDefault("image")
    Modality modality();

    /** Hugging Face id or local directory of a CLIP checkpoint (a Whisper one with modality audio). */
    @WithDefault("openai/clip-vit-base-patch32")
    String model();

    Optional<String> revision();

    /** Hidden state to emit; negative counts from the end (-2: LLaVA-1.5's penultimate layer). */
    @WithDefault("-2")
    int layer();

    @WithDefault("false")
    boolean keepCls();

    /** cpu, cuda or cuda:N (a CUDA build of libtorch is needed for the latter; see the README). */
    @WithDefault("cpu")
    String device();

    /** Feature dtype on the wire: f16 or f32. */
    @WithDefault("f16")
    WireDtype wireDtype();

    /** Decoded pixel limit, read from the image header before decoding. */
    @WithDefault("50000000")
    long maxPixels();

    /** Longest clip accepted with modality audio, read from its header before decoding (Whisper sees 30 s). */
    @WithDefault("30")
    double maxAudioSeconds();
}
