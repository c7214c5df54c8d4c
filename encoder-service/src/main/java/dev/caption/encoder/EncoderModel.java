package dev.caption.encoder;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.caption.nn.Devices;
import dev.caption.nn.clip.ClipEncoder;
import dev.caption.nn.clip.ClipSpec;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.whisper.WhisperAudioEncoder;

/** Holds the CLIP (or, with modality audio, Whisper) encoder, loaded once at startup (downloading if needed). */
@ApplicationScoped
public class EncoderModel {

    private static final Logger LOG = Logger.getLogger(EncoderModel.class);

    private volatile ClipEncoder encoder;
    private volatile WhisperAudioEncoder audio;

    synchronized WhisperAudioEncoder loadAudio(EncoderConfig config) {
        if (audio == null) {
            long start = System.nanoTime();
            audio = WhisperAudioEncoder.open(config.model(), config.revision().orElse(null), Devices.parse(config.device()),
                    HubEnvironment.fromSystem(), DownloadListener.lines(LOG::info));
            LOG.infof("loaded %s@%s on %s (audio, last hidden state) in %.1f s", audio.modelId(), audio.revision(),
                    config.device(), (System.nanoTime() - start) / 1e9);
        }
        return audio;
    }

    synchronized ClipEncoder load(EncoderConfig config) {
        if (encoder == null) {
            long start = System.nanoTime();
            encoder = ClipSpec.builder(config.model()).revision(config.revision().orElse(null)).layer(config.layer())
                    .keepCls(config.keepCls()).device(config.device()).build()
                    .open(HubEnvironment.fromSystem(), DownloadListener.lines(LOG::info));
            LOG.infof("loaded %s@%s on %s (layer %d, cls %s) in %.1f s", encoder.modelId(), encoder.revision(),
                    config.device(), encoder.layer(), encoder.keepCls(), (System.nanoTime() - start) / 1e9);
        }
        return encoder;
    }

    @PreDestroy
    void close() {
        if (encoder != null) {
            encoder.close();
        }
        if (audio != null) {
            audio.close();
        }
    }
}
