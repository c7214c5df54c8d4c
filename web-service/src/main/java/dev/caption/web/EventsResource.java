package dev.caption.web;

import java.util.Set;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.RestStreamElementType;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;

import dev.caption.core.message.PipelineEvent;

/**
 * GET /api/events?ids=a,b: Server-Sent Events, one {@link PipelineEvent} (JSON) per message, for those images:
 * what already happened to them (within the replay window), then what happens next, in pipeline order and each
 * once. Without ids, every new event. All streams share the service's one consumer.
 */
@Path("/api/events")
public class EventsResource {

    @Inject
    WebPipeline pipeline;

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<PipelineEvent> events(@RestQuery String ids) {
        Set<String> wanted;
        try {
            wanted = UploadIds.parse(ids);
        } catch (IllegalArgumentException e) {
            throw new UploadCheck.Refused(400, e.getMessage());
        }
        PipelineFeed feed = pipeline.feed();
        return Multi.createFrom().<PipelineEvent>emitter(emitter -> {
            Object handle = feed.subscribe(wanted, event -> {
                if (emitter.isCancelled()) {
                    return false;
                }
                emitter.emit(event);
                return true;
            });
            emitter.onTermination(() -> feed.unsubscribe(handle));
        }, BackPressureStrategy.BUFFER);
    }
}
