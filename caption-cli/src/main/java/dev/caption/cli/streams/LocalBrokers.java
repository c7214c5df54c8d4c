package dev.caption.cli.streams;

import dev.caption.broker.BrokerSecurity;
import dev.caption.broker.LocalKafkaBroker;
import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.PipelineAcls;
import dev.caption.core.kafka.PipelineRole;
import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;

/** What `caption broker` and `caption demo` do with the local broker they start, in one place. */
public final class LocalBrokers {

    private LocalBrokers() {
    }

    /** A local broker builder, secured with a user per {@link PipelineRole} when {@code secure}. */
    public static LocalKafkaBroker.Builder builder(boolean secure) {
        LocalKafkaBroker.Builder builder = LocalKafkaBroker.builder();
        return secure ? builder.secured(PipelineRole.defaultUsers()) : builder;
    }

    /** {@code user}'s settings on {@code broker}: bootstrap servers, and on a secured broker the user's login. */
    public static KafkaSettings settings(LocalKafkaBroker broker, String user) {
        return KafkaSettings.fromClientConfig(broker.clientProperties(user));
    }

    /** As the admin: creates the missing topics (when {@code createTopics}) and, on a secured broker, grants the ACLs. */
    public static TopicAdmin.Report prepare(LocalKafkaBroker broker, Topics topics, boolean createTopics) {
        KafkaSettings admin = settings(broker, BrokerSecurity.ADMIN);
        TopicAdmin.Report report = createTopics ? TopicAdmin.ensure(admin, topics) : null;
        if (broker.security().isPresent()) {
            PipelineAcls.of(topics).apply(admin);
        }
        return report;
    }
}
