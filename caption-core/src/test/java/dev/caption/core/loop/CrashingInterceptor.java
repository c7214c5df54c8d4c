package dev.caption.core.loop;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Halts the JVM (no shutdown hooks, no client close: as abrupt as SIGKILL) once the broker has acknowledged
 * {@code -Dcrash.after.acks=N} output records. The N-th record is then in the log inside a transaction that will
 * never commit, so the crash is known to land mid-transaction rather than between batches.
 */
public final class CrashingInterceptor implements ProducerInterceptor<String, byte[]> {

    private static final AtomicInteger ACKS = new AtomicInteger();
    private final int crashAfter = Integer.getInteger("crash.after.acks", -1);

    @Override
    public ProducerRecord<String, byte[]> onSend(ProducerRecord<String, byte[]> record) {
        return record;
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
        if (crashAfter > 0 && exception == null && metadata != null && !metadata.topic().endsWith("dlq")
                && ACKS.incrementAndGet() == crashAfter) {
            System.out.println("CRASH after " + crashAfter + " acknowledged outputs, mid-transaction");
            System.out.flush();
            Runtime.getRuntime().halt(137);
        }
    }

    @Override
    public void close() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
}
