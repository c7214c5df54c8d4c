package dev.caption.web;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Refusals and Kafka failures as {@link ApiError} bodies: the status and one line. */
public class ApiErrors {

    @ServerExceptionMapper
    public Response refused(UploadCheck.Refused e) {
        return error(e.status, e.getMessage());
    }

    @ServerExceptionMapper
    public Response unavailable(ImagePublisher.PublishException e) {
        return error(503, e.getMessage());
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(status, message)).build();
    }
}
