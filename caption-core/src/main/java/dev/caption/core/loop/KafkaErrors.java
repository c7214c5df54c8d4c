package dev.caption.core.loop;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

import dev.caption.core.kafka.KafkaSettings;

/**
 * What a Kafka client error means for the loop, decided in one place for every client call (poll, begin, send,
 * offsets, commit, abort, initTransactions).
 */
public final class KafkaErrors {

    /** How the loop reacts. */
    public enum Kind {
        /**
         * Another instance owns the work now (fenced producer or group instance id), or the cluster refuses this
         * principal (authentication, authorization) or this client (unsupported version): stop, FAILED, and say why.
         */
        FATAL,
        /**
         * The transaction cannot commit (a timed-out transaction's bumped epoch, a rebalance, a failed send): abort
         * it, rewind the batch, back off and process it again.
         */
        ABORTABLE,
        /** A transient condition (timeout, leader moving): the same as abortable, and expected to clear by itself. */
        RETRIABLE
    }

    private KafkaErrors() {
    }

    public static Kind classify(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof FencedInstanceIdException
                    || t instanceof AuthenticationException || t instanceof AuthorizationException
                    || t instanceof TransactionalIdAuthorizationException || t instanceof UnsupportedVersionException) {
                return Kind.FATAL;
            }
        }
        return error instanceof RetriableException ? Kind.RETRIABLE : Kind.ABORTABLE;
    }

    /**
     * One line for a fatal error: what the cluster said, and for a refused login or ACL who was refused
     * ({@code kafka}'s principal, listener and servers, never a secret).
     */
    public static String describeFatal(String stage, KafkaSettings kafka, Throwable error) {
        String as = " as " + kafka.identity();
        String what = error instanceof AuthenticationException ? "could not authenticate" + as
                : error instanceof AuthorizationException ? "is not authorized" + as
                : error instanceof ProducerFencedException || error instanceof FencedInstanceIdException
                        ? "was fenced by another instance with its id"
                : "was refused by the cluster";
        return stage + " " + what + ": " + error.getMessage();
    }
}
