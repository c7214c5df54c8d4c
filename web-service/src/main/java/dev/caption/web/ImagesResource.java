package dev.caption.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import dev.caption.core.message.ImageEvent;
import dev.caption.core.message.References;

/**
 * POST /api/images (multipart): one or more {@code image} parts and, optionally, as many {@code references} parts
 * in the same order (one reference caption per line; empty for none). Every image is checked first; any refusal
 * refuses the whole request, so nothing of it reaches Kafka. Then references go to caption.references and images
 * to caption.images with the CLI's headers. 202 with the ids.
 */
@Path("/api/images")
public class ImagesResource {

    @Inject
    WebPipeline pipeline;

    @Inject
    WebConfig config;

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    public Response upload(@RestForm("image") List<FileUpload> images, @RestForm("references") List<String> references) {
        if (images == null || images.isEmpty()) {
            throw new UploadCheck.Refused(400, "no image: send one or more files in the form field 'image'");
        }
        if (images.size() > config.maxFiles()) {
            throw new UploadCheck.Refused(413, images.size() + " images in one request, over the limit of "
                    + config.maxFiles() + " (caption.web.max-files)");
        }
        List<String> refs = references == null ? List.of() : references;
        if (!refs.isEmpty() && refs.size() != images.size()) {
            throw new UploadCheck.Refused(400, refs.size() + " 'references' fields for " + images.size()
                    + " images: send one per image, in the same order (empty for none)");
        }
        UploadCheck check = new UploadCheck(pipeline.topics().maxImageBytes());
        List<ImageEvent> events = new ArrayList<>();
        List<References> withRefs = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < images.size(); i++) {
            FileUpload upload = images.get(i);
            String label = "image " + (i + 1) + " (" + printable(upload.fileName()) + ")";
            byte[] bytes = read(upload);
            String type = check.contentType(label, bytes);
            String id = UploadIds.of(upload.fileName(), bytes);
            if (!ids.add(id)) {
                throw new UploadCheck.Refused(400, label + " is the same image as an earlier one in this request");
            }
            events.add(new ImageEvent(id, type, bytes));
            List<String> lines = refs.isEmpty() ? List.of() : refs.get(i).lines().map(String::strip)
                    .filter(l -> !l.isEmpty()).toList();
            if (!lines.isEmpty()) {
                withRefs.add(new References(id, lines));
            }
        }
        pipeline.publisher().publish(events, withRefs);
        return Response.accepted(new Uploaded(events.stream().map(ImageEvent::id).toList(), withRefs.size())).build();
    }

    /** The bytes the framework stored for the part; its path is the framework's, never the client's file name. */
    private static byte[] read(FileUpload upload) {
        try {
            return Files.readAllBytes(upload.uploadedFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read an uploaded part", e);
        }
    }

    /** A file name fit for a message line: no control characters, bounded. */
    private static String printable(String name) {
        String n = name == null ? "" : name.replaceAll("\\p{Cntrl}", "?");
        return n.length() > 80 ? n.substring(0, 80) + "…" : n;
    }
}
