package dev.caption.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.junit.jupiter.api.Test;

class KafkaErrorsTest {

    @Test
    void fencingAndRefusalsAreFatal() {
        for (KafkaException e : new KafkaException[] {new ProducerFencedException("x"), new FencedInstanceIdException("x"),
            new SaslAuthenticationException("x"), new SslAuthenticationException("x"), new GroupAuthorizationException("x"),
            new TransactionalIdAuthorizationException("x"), new UnsupportedVersionException("x")}) {
            assertEquals(KafkaErrors.Kind.FATAL, KafkaErrors.classify(e), e.getClass().getSimpleName());
        }
        assertEquals(KafkaErrors.Kind.FATAL, KafkaErrors.classify(new KafkaException("wrapped", new ProducerFencedException("x"))));
    }

    @Test
    void transientConditionsAreRetriableAndTheRestAbortable() {
        assertEquals(KafkaErrors.Kind.RETRIABLE, KafkaErrors.classify(new TimeoutException("x")));
        assertEquals(KafkaErrors.Kind.RETRIABLE, KafkaErrors.classify(new NotEnoughReplicasException("x")));
        assertEquals(KafkaErrors.Kind.ABORTABLE, KafkaErrors.classify(new InvalidProducerEpochException("timed out")));
        assertEquals(KafkaErrors.Kind.ABORTABLE, KafkaErrors.classify(new KafkaException("send failed")));
        assertEquals(KafkaErrors.Kind.ABORTABLE, KafkaErrors.classify(new IllegalStateException("no transaction")));
    }

    @Test
    void aFatalErrorIsOneLineSayingWhatHappened() {
        assertEquals("llm could not authenticate: Authentication failed during authentication due to invalid credentials",
                KafkaErrors.describeFatal("llm", new SaslAuthenticationException(
                        "Authentication failed during authentication due to invalid credentials")));
        assertEquals("encoder is not authorized: no", KafkaErrors.describeFatal("encoder", new GroupAuthorizationException("no")));
    }
}
