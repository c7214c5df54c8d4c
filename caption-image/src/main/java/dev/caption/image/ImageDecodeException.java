package dev.caption.image;

/** Bytes that are not a decodable image, or an image over the pixel limit. The message is fit for a DLQ reason. */
public class ImageDecodeException extends RuntimeException {

    public ImageDecodeException(String message) {
        super(message);
    }

    public ImageDecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
