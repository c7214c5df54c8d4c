package dev.caption.web;

import dev.caption.image.ImageDecodeException;
import dev.caption.image.ImageDecoder;
import dev.caption.image.ImageSniffer;

/**
 * What an upload must be before anything reaches Kafka, checked on its bytes (never its name or declared type):
 * not empty, within the image limit, an image type the encoder decodes (sniffed by content), and decodable by the
 * encoder's own decoder within its pixel limit. A refusal carries its HTTP status and one line.
 */
final class UploadCheck {

    /** Why an upload was refused, with the HTTP status that says so. */
    static final class Refused extends RuntimeException {
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final int maxImageBytes;
    private final ImageDecoder decoder = new ImageDecoder();

    UploadCheck(int maxImageBytes) {
        this.maxImageBytes = maxImageBytes;
    }

    /** The sniffed content type of {@code bytes}, or {@link Refused}. {@code label} names the file in the message. */
    String contentType(String label, byte[] bytes) {
        if (bytes.length == 0) {
            throw new Refused(400, label + " is empty");
        }
        if (bytes.length > maxImageBytes) {
            throw new Refused(413, label + " is " + bytes.length + " bytes, over the limit of " + maxImageBytes
                    + " (caption.topics.max-image-bytes)");
        }
        String type = ImageSniffer.detect(bytes);
        String rejection = ImageSniffer.rejection(type);
        if (rejection != null) {
            throw new Refused(415, label + ": " + rejection);
        }
        try {
            decoder.decode(bytes);
        } catch (ImageDecodeException e) {
            throw new Refused(422, label + ": " + e.getMessage());
        }
        return type;
    }
}
