package dev.caption.broker;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Quarkus test resource: one real {@link LocalKafkaBroker} for the test run, its address handed to the app as
 * {@code kafka.bootstrap.servers}. Use {@code @QuarkusTestResource(LocalKafkaResource.class)}; the resource is
 * global, so tests share the broker and should use distinct keys or topics.
 */
public final class LocalKafkaResource implements QuarkusTestResourceLifecycleManager {

    private LocalKafkaBroker broker;

    @Override
    public Map<String, String> start() {
        broker = LocalKafkaBroker.builder().build().start();
        return Map.of("kafka.bootstrap.servers", broker.bootstrapServers());
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }
}
