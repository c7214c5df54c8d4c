package dev.caption.core.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Creates the pipeline's topics and checks that existing ones have the partition counts the design needs. */
public final class TopicAdmin {

    private TopicAdmin() {
    }

    /** What {@link #ensure} did. */
    public record Report(List<String> created, List<String> existing) {
    }

    /**
     * Creates every missing topic of {@code topics}. Existing topics are kept, but a references/captions partition
     * mismatch is an error: the eval-service join would silently miss records.
     */
    public static Report ensure(KafkaSettings settings, Topics topics) {
        try (Admin admin = Admin.create(settings.clientConfig())) {
            return ensure(admin, settings.bootstrapServers(), topics);
        }
    }

    /** {@link #ensure(KafkaSettings, Topics)} through {@code admin}; {@code where} names the cluster in errors. */
    static Report ensure(Admin admin, String where, Topics topics) {
        try {
            Set<String> present = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            List<String> existing = new ArrayList<>();
            for (NewTopic t : topics.newTopics()) {
                if (present.contains(t.name())) {
                    existing.add(t.name());
                } else {
                    missing.add(t);
                }
            }
            List<String> created = new ArrayList<>();
            if (!missing.isEmpty()) {
                try {
                    admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    // another client created it between list and create: fine
                }
                missing.forEach(t -> created.add(t.name()));
            }
            String captions = topics.name(Topic.CAPTIONS);
            String references = topics.name(Topic.REFERENCES);
            Map<String, TopicDescription> described = describe(admin, List.of(captions, references));
            int c = described.get(captions).partitions().size();
            int r = described.get(references).partitions().size();
            if (c != r) {
                throw new IllegalStateException(captions + " has " + c + " partitions but " + references + " has " + r
                        + ": they must be co-partitioned for the evaluation join");
            }
            return new Report(created, existing);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("cannot create the caption topics on " + where
                    + ": " + cause.getMessage(), cause);
        }
    }

    /**
     * describeTopics, asked again while the broker answers that a topic is unknown: in KRaft a topic just created is
     * committed by the controller and reaches the broker's metadata a moment later.
     */
    private static Map<String, TopicDescription> describe(Admin admin, List<String> names)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }
}
