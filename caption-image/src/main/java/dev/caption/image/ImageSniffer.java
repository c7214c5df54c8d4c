package dev.caption.image;

import java.util.Set;

import org.apache.tika.Tika;

/** Content type from the bytes (Apache Tika's magic detection), never from the file name. */
public final class ImageSniffer {

    /** What the encoder decodes. */
    public static final Set<String> SUPPORTED = Set.of("image/jpeg", "image/png", "image/gif", "image/bmp",
            "image/x-ms-bmp", "image/webp");

    private static final Tika TIKA = new Tika();

    private ImageSniffer() {
    }

    public static String detect(byte[] bytes) {
        return TIKA.detect(bytes);
    }

    /** Null when the bytes are a supported image, else why not. */
    public static String rejection(String contentType) {
        if (SUPPORTED.contains(contentType)) {
            return null;
        }
        if (contentType.startsWith("image/")) {
            return "unsupported image type " + contentType + " (JPEG, PNG, GIF, BMP and WebP are)";
        }
        return "not an image: " + contentType;
    }
}
