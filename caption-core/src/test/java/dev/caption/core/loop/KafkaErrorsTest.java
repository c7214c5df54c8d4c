package dev.caption.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Map;

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

import dev.caption.core.kafka.KafkaSettings;

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
        KafkaSettings scram = new KafkaSettings("broker:9093", Map.of("security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"caption-llm\" password=\"s3cret\";"));
        String line = KafkaErrors.describeFatal("llm", scram, new SaslAuthenticationException(
                "Authentication failed during authentication due to invalid credentials"));
        assertEquals("llm could not authenticate as user caption-llm (SCRAM-SHA-512) over SASL_SSL to broker:9093: "
                + "Authentication failed during authentication due to invalid credentials", line);
        assertFalse(line.contains("s3cret"), line);
        assertEquals("encoder is not authorized as no login over PLAINTEXT to localhost:9092: no",
                KafkaErrors.describeFatal("encoder", KafkaSettings.of("localhost:9092"), new GroupAuthorizationException("no")));
    }

    @Test
    void settingsNeverPrintTheirSecrets() {
        KafkaSettings scram = new KafkaSettings("broker:9093", Map.of("sasl.jaas.config",
                "x required username=\"u\" password=\"s3cret\";", "ssl.truststore.password", "t0psecret"));
        assertFalse(scram.toString().contains("s3cret") || scram.toString().contains("t0psecret"), scram.toString());
    }
}
