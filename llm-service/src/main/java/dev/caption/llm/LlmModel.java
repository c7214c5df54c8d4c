package dev.caption.llm;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.caption.nn.hub.DownloadListener;
import dev.caption.nn.hub.HubEnvironment;
import dev.caption.nn.qwen3.Qwen3Captioner;
import dev.caption.nn.qwen3.Qwen3Spec;

/** Holds Qwen3, loaded once at startup (downloading into the HF cache if needed). */
@ApplicationScoped
public class LlmModel {

    private static final Logger LOG = Logger.getLogger(LlmModel.class);

    private volatile Qwen3Captioner captioner;

    synchronized Qwen3Captioner load(LlmConfig config) {
        if (captioner == null) {
            long start = System.nanoTime();
            captioner = Qwen3Spec.builder(config.model()).revision(config.revision().orElse(null)).device(config.device())
                    .precision(config.precision()).build().open(HubEnvironment.fromSystem(), DownloadListener.lines(LOG::info));
            LOG.infof("loaded %s@%s on %s in %.1f s; generating with %s", captioner.modelId(), captioner.revision(),
                    config.device(), (System.nanoTime() - start) / 1e9, captioner.engine());
        }
        return captioner;
    }

    @PreDestroy
    void close() {
        if (captioner != null) {
            captioner.close();
        }
    }
}
