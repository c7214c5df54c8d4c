package dev.caption.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

import dev.caption.core.loop.Health;

/** /q/health/ready: model loaded and loop consuming. /q/health/live: the loop has not failed. */
@ApplicationScoped
public class StageHealthChecks {

    @Inject
    StageRunner stage;

    @Readiness
    HealthCheck ready() {
        return () -> response(stage.stage() + "-ready", stage.health(), stage.health().isReady());
    }

    @Liveness
    HealthCheck live() {
        return () -> response(stage.stage() + "-live", stage.health(), stage.health().isAlive());
    }

    private static HealthCheckResponse response(String name, Health health, boolean up) {
        return HealthCheckResponse.named(name).status(up).withData("state", health.state().name())
                .withData("detail", health.detail()).build();
    }
}
