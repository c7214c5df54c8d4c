package dev.caption.core.message;

/** A Kafka record whose bytes or headers do not form the message its topic promises. */
public class MalformedMessageException extends RuntimeException {

    public MalformedMessageException(String message) {
        super(message);
    }

    public MalformedMessageException(String message, Throwable cause) {
        super(message, cause);
    }
}
