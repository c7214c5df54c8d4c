package dev.caption.core.loop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import org.apache.kafka.clients.producer.ProducerRecord;

import dev.caption.core.kafka.KafkaSettings;

/**
 * A test stage: upper-cases text values. Its main() runs it as a separate JVM, so that tests can SIGKILL it
 * the way a crashed pod dies: no close, no abort, no leave-group.
 */
public final class UppercaseStage {

    private UppercaseStage() {
    }

    static BatchProcessor processor(String outputTopic, long sleepMillisPerRecord) {
        return BatchProcessor.perRecord(record -> {
            if (sleepMillisPerRecord > 0) {
                Thread.sleep(sleepMillisPerRecord);
            }
            String upper = new String(record.value(), StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
            return List.of(new ProducerRecord<>(outputTopic, record.key(), upper.getBytes(StandardCharsets.UTF_8)));
        });
    }

    static BatchLoopConfig.Builder config(String bootstrap, String in, String dlq) {
        return BatchLoopConfig.builder("upper")
                .kafka(KafkaSettings.of(bootstrap))
                .groupId("upper-" + in)
                .inputTopic(in)
                .dlqTopic(dlq)
                .maxBatch(64)
                .maxWait(Duration.ofMillis(20));
    }

    /** args: bootstrap, input topic, output topic, dlq topic, instance id, sleep ms per record. */
    public static void main(String[] args) throws Exception {
        BatchLoopConfig config = config(args[0], args[1], args[3]).instanceId(args[4])
                // the process is SIGKILLed, never closed: keep its session short so tests need not wait
                .consumerProperty("session.timeout.ms", 6000)
                .producerProperty("interceptor.classes", CrashingInterceptor.class.getName())
                .build();
        BatchLoop loop = new BatchLoop(config, processor(args[2], Long.parseLong(args[5])), new LoopListener() {
            @Override
            public void onHealthChange(Health health) {
                System.out.println("HEALTH " + health.state());
                System.out.flush();
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(loop::close));
        loop.run();
    }
}
