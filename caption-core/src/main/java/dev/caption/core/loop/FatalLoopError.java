package dev.caption.core.loop;

/** An error the loop cannot recover from (fenced, refused by the cluster): it stops with health FAILED. */
final class FatalLoopError extends RuntimeException {
    FatalLoopError(String message, Throwable cause) {
        super(message, cause);
    }
}
