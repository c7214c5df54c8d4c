package dev.caption.nn.audio;

/** Bytes that are not audio this code decodes, with the reason in one line. */
public final class AudioDecodeException extends RuntimeException {

    public AudioDecodeException(String message) {
        super(message);
    }

    public AudioDecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
