package dev.caption.tensor;

/** A safetensors blob or file that is malformed, truncated, or asks for more than the limits allow. */
public class SafetensorsException extends RuntimeException {

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
