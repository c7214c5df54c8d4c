package dev.caption.eval;

import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.caption.core.message.RunMetrics;

/** GET /runs: every run's aggregates; GET /runs/{run}: one run's, per adapter and model. */
@Path("/runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunsResource {

    @Inject
    EvalStreams streams;

    @GET
    public List<RunMetrics> all() {
        return streams.runs();
    }

    @GET
    @Path("/{run}")
    public List<RunMetrics> one(@PathParam("run") String run) {
        List<RunMetrics> found = streams.runs().stream().filter(m -> run.equals(m.run())).toList();
        if (found.isEmpty()) {
            throw new NotFoundException("no scores for run '" + run + "' on this replica");
        }
        return found;
    }
}
