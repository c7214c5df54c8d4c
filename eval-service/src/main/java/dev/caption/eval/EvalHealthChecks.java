package dev.caption.eval;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** /q/health/ready: model loaded and the topology RUNNING. /q/health/live: Kafka Streams has not failed. */
@ApplicationScoped
public class EvalHealthChecks {

    @Inject
    EvalStreams streams;

    @Readiness
    HealthCheck ready() {
        return () -> response("eval-ready", streams.ready());
    }

    @Liveness
    HealthCheck live() {
        return () -> response("eval-live", streams.alive());
    }

    private HealthCheckResponse response(String name, boolean up) {
        var b = HealthCheckResponse.named(name).status(up).withData("state", streams.state());
        if (streams.error() != null) {
            b.withData("error", streams.error());
        }
        return b.build();
    }
}
