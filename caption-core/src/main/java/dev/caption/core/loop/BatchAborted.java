package dev.caption.core.loop;

/** The in-flight batch was abandoned because the loop is stopping (close() past its timeout, or an interrupt). */
final class BatchAborted extends RuntimeException {
    BatchAborted() {
        super(null, null, false, false);
    }
}
