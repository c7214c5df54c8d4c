package dev.caption.web;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** /q/health/ready: the feed reads every topic. /q/health/live: it has not failed (a refused login, say). */
@ApplicationScoped
public class WebHealthChecks {

    @Inject
    WebPipeline pipeline;

    @Readiness
    HealthCheck ready() {
        return () -> response("web-ready", state() == PipelineFeed.State.RUNNING);
    }

    @Liveness
    HealthCheck live() {
        return () -> response("web-live", state() != PipelineFeed.State.FAILED);
    }

    private PipelineFeed.State state() {
        PipelineFeed feed = pipeline.feed();
        return feed == null ? PipelineFeed.State.STARTING : feed.state();
    }

    private HealthCheckResponse response(String name, boolean up) {
        var b = HealthCheckResponse.named(name).status(up).withData("state", state().name());
        PipelineFeed feed = pipeline.feed();
        if (feed != null && feed.error() != null) {
            b.withData("error", feed.error());
        }
        return b.build();
    }
}
