package dev.caption.cli.streams;

import java.util.concurrent.Callable;

import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import dev.caption.cli.KafkaOptions;
import dev.caption.cli.CaptionCommand;

@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Create the pipeline's topics on a cluster (missing ones only) and check co-partitioning.")
public final class TopicsCommand extends CaptionCommand {

    @Mixin
    KafkaOptions kafka;

    @Override
    public Integer call() {
        Topics topics = kafka.topics();
        TopicAdmin.Report report = TopicAdmin.ensure(kafka.settings(), topics);
        report.created().forEach(t -> out().println("created  " + t + " (" + topics.partitions() + " partitions)"));
        report.existing().forEach(t -> out().println("existing " + t));
        return 0;
    }
}
