package dev.caption.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.caption.broker.LocalKafkaBroker;
import dev.caption.core.kafka.KafkaSettings;
import dev.caption.core.kafka.Topic;
import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.References;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The local pipeline as far as the demo runs it today: a real broker, the topics, published images and references,
 * and the streams as they land. Starting the services as processes comes with issue #7; until then their topics
 * stay empty and the demo says so.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start a local Kafka broker, create the topics, publish images (the shipped samples by default)",
            "with their reference captions, and show the streams."})
public final class DemoCommand implements Callable<Integer> {

    @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "Images or directories (default: samples/images).")
    List<String> images;

    @Option(names = "--references", paramLabel = "FILE",
            description = "Reference captions (default: samples/references.jsonl with the samples).")
    Path references;

    @Option(names = "--keep-running", description = "Keep the broker up afterwards (Ctrl-C stops it).")
    boolean keepRunning;

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("caption.home", "."));
        List<String> inputs = images;
        Path refs = references;
        if (inputs == null || inputs.isEmpty()) {
            Path samples = home.resolve("samples");
            if (!Files.isDirectory(samples.resolve("images"))) {
                throw new IllegalArgumentException("no images given and no samples/images under " + home.toAbsolutePath());
            }
            inputs = List.of(samples.resolve("images").toString());
            refs = refs != null ? refs : samples.resolve("references.jsonl");
        }

        System.out.println("demo: starting a local Kafka broker (KRaft, single node)…");
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder().build().start()) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers());
            Topics topics = Topics.defaults();
            TopicAdmin.Report created = TopicAdmin.ensure(settings, topics);
            System.out.println("demo: broker on " + broker.bootstrapServers() + ", " + created.created().size()
                    + " topics with " + topics.partitions() + " partitions each");

            List<References> refList = refs == null ? List.of() : ReferenceFiles.read(refs);
            Publisher.Result result;
            int refCount;
            try (Publisher publisher = new Publisher(settings, topics)) {
                result = publisher.publishImages(ImageInputs.expand(inputs), Publisher.IdFrom.PATH, System.console() != null);
                refCount = publisher.publishReferences(refList);
            }
            System.out.println("demo: " + result.summary(refCount));
            System.out.println("demo: the streams (read_committed):");
            TailCommand.tail(settings, topics, List.of(Topic.IMAGES, Topic.REFERENCES, Topic.FEATURES, Topic.PREFIXES,
                    Topic.CAPTIONS, Topic.SCORES, Topic.DLQ), true, true, null, false, System.out);
            System.out.println("demo: the demo does not start the services yet (issue #7), and adapter- and eval-service");
            System.out.println("demo: are not built yet (#5, #6): no prefixes, captions or scores follow. The README shows");
            System.out.println("demo: how to run encoder-service and llm-service by hand against a local broker.");
            if (keepRunning) {
                System.out.println("demo: broker stays up on " + broker.bootstrapServers() + "; try "
                        + "'./caption tail --bootstrap-servers " + broker.bootstrapServers()
                        + " --topic images --from-beginning'. Ctrl-C stops it.");
                CountDownLatch forever = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
                forever.await();
            }
        }
        return 0;
    }
}
