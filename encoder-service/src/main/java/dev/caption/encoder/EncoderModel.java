package dev.caption.encoder;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.caption.nn.clip.ClipEncoder;
import dev.caption.nn.clip.ClipSpec;
import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;

/** Holds the CLIP encoder, loaded once at startup (downloading into the HF cache if needed). */
@ApplicationScoped
public class EncoderModel {

    private static final Logger LOG = Logger.getLogger(EncoderModel.class);

    private volatile ClipEncoder encoder;

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
    }
}
