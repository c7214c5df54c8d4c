package dev.caption.encoder;

import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;

import dev.caption.core.kafka.PipelineRole;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.Modality;
import dev.caption.image.ImageDecoder;
import dev.caption.nn.audio.AudioDecoder;
import dev.caption.service.StageRunner;

/**
 * Loads the model, then runs the batch loop until shutdown: from caption.images to caption.features, or with
 * {@code caption.encoder.modality=audio} from caption.audio to caption.features.
 */
@ApplicationScoped
public class EncoderStage {

    static final String STAGE = "encoder";
    /** The stage of a deployment with modality audio: its own group, transactional ids and user. */
    static final String AUDIO_STAGE = PipelineRole.AUDIO_ENCODER.shortName();

    @Inject
    EncoderConfig config;

    @Inject
    EncoderModel model;

    @Inject
    StageRunner runner;

    void start(@Observes StartupEvent event) {
        Topics topics = runner.topics();
        if (config.modality() == Modality.AUDIO) {
            AudioEncoderProcessor processor = new AudioEncoderProcessor(model.loadAudio(config),
                    new AudioDecoder(config.maxAudioSeconds()), topics.name(Topic.FEATURES), config.wireDtype().dtype(),
                    topics.maxImageBytes());
            runner.start(AUDIO_STAGE, topics, Topic.AUDIO, processor);
            return;
        }
        EncoderProcessor processor = new EncoderProcessor(model.load(config), new ImageDecoder(config.maxPixels()),
                topics.name(Topic.FEATURES), config.wireDtype().dtype(), topics.maxImageBytes(), timers(runner.registry()));
        runner.start(STAGE, topics, Topic.IMAGES, processor);
    }

    private static EncoderProcessor.Timings timers(MeterRegistry registry) {
        Timer decode = Timer.builder("caption.encoder.decode").description("image decoding, per batch").register(registry);
        Timer preprocess = Timer.builder("caption.encoder.preprocess").description("resize, crop, normalize, per batch")
                .register(registry);
        Timer forward = Timer.builder("caption.encoder.forward").description("CLIP forward pass, per batch").register(registry);
        return (images, decodeNanos, preprocessNanos, forwardNanos) -> {
            decode.record(decodeNanos, TimeUnit.NANOSECONDS);
            preprocess.record(preprocessNanos, TimeUnit.NANOSECONDS);
            forward.record(forwardNanos, TimeUnit.NANOSECONDS);
        };
    }
}
