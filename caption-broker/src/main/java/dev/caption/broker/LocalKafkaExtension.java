package dev.caption.broker;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that gives a test class its own real {@link LocalKafkaBroker}.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LocalKafkaExtension KAFKA = new LocalKafkaExtension();
 * ... KAFKA.bootstrapServers() ...
 * }</pre>
 */
public final class LocalKafkaExtension implements BeforeAllCallback, AfterAllCallback {

    private LocalKafkaBroker broker;

    @Override
    public void beforeAll(ExtensionContext context) {
        broker = LocalKafkaBroker.builder().build().start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    public String bootstrapServers() {
        if (broker == null) {
            throw new IllegalStateException("the broker is started in beforeAll: register the extension as a static field");
        }
        return broker.bootstrapServers();
    }

    /** The broker itself, for tests that stop and restart it. */
    public LocalKafkaBroker broker() {
        return broker;
    }
}
