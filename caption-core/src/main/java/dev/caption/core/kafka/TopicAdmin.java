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
            Map<String, TopicDescription> described =
                    admin.describeTopics(List.of(captions, references)).allTopicNames().get(30, TimeUnit.SECONDS);
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
            throw new IllegalStateException("cannot create the caption topics on " + settings.bootstrapServers()
                    + ": " + cause.getMessage(), cause);
        }
    }
}
