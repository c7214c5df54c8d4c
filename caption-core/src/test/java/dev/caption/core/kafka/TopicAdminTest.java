package dev.caption.core.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.kafka.clients.admin.MockAdminClient;
import org.junit.jupiter.api.Test;

/** Topic creation against Kafka's MockAdminClient: what a broker's metadata lag looks like to the client. */
class TopicAdminTest {

    @Test
    void topicsJustCreatedThatTheBrokerDoesNotKnowYetAreDescribedOnceItDoes() {
        Topics topics = Topics.defaults();
        try (MockAdminClient admin = MockAdminClient.create().numBrokers(1).build()) {
            TopicAdmin.Report report = TopicAdmin.ensure(admin, "mock", topics);
            assertEquals(topics.newTopics().size(), report.created().size(), report.toString());
            // as right after a creation: the controller committed the topics, the broker's metadata has not caught
            // up, and two describes answer "This server does not host this topic-partition"
            admin.setFetchesRemainingUntilVisible(topics.name(Topic.CAPTIONS), 2);
            admin.setFetchesRemainingUntilVisible(topics.name(Topic.REFERENCES), 2);
            TopicAdmin.Report again = TopicAdmin.ensure(admin, "mock", topics);
            assertEquals(topics.newTopics().size(), again.created().size() + again.existing().size(), again.toString());
        }
    }
}
