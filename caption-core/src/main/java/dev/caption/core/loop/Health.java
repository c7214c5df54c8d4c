package dev.caption.core.loop;

/**
 * The loop's health, for readiness and liveness probes.
 *
 * @param state  the state
 * @param detail why, in one line (the last error while degraded or failed)
 */
public record Health(State state, String detail) {

    public enum State {
        /** Creating clients and joining the group: not ready. */
        STARTING,
        /** Processing. */
        UP,
        /** Alive but retrying (broker unreachable, batch failures): ready to recover, not healthy. */
        DEGRADED,
        /** Stopped on request. */
        STOPPED,
        /** Stopped on an unrecoverable error (fenced by another instance, authorization): restart needed. */
        FAILED
    }

    public boolean isReady() {
        return state == State.UP || state == State.DEGRADED;
    }

    public boolean isAlive() {
        return state != State.FAILED;
    }
}
