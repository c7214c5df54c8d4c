package dev.caption.nn.hub;

/** A model that cannot be resolved, downloaded or verified; the message names the model and what to do. */
public class CheckpointException extends RuntimeException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
