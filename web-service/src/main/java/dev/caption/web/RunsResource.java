package dev.caption.web;

import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.caption.core.message.RunMetrics;

/** GET /api/runs: each run's BERTScore aggregates (mean and 95% CI of P, R, F) per adapter and model, from caption.metrics. */
@Path("/api/runs")
public class RunsResource {

    @Inject
    WebPipeline pipeline;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public List<RunMetrics> runs() {
        return pipeline.feed().runs();
    }
}
