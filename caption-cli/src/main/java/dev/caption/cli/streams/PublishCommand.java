package dev.caption.cli.streams;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;
import dev.caption.core.message.ImageEvent;
import dev.caption.core.message.References;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.caption.cli.ReferenceFiles;
import dev.caption.cli.ImageInputs;
import dev.caption.cli.KafkaOptions;
import dev.caption.cli.CaptionCli;
import dev.caption.cli.CaptionCommand;

@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Publish images (files, directories walked recursively, glob patterns) to the images topic,",
            "and audio clips (WAV, AIFF, AU) to the audio topic. The content type is sniffed from the bytes;",
            "other files, oversized and unreadable ones are skipped and listed. Exit status: 0 all published,",
            "3 some skipped, 1 error."})
public final class PublishCommand extends CaptionCommand {

    @Mixin
    KafkaOptions kafka;

    @Parameters(paramLabel = "PATH", arity = "1..*", description = "Image or audio files, directories or quoted globs ('imgs/**/*.jpg').")
    List<String> paths;

    @Option(names = "--id-from", paramLabel = "path|name|sha256", defaultValue = "path",
            description = "Image id: relative path without extension (default), file name without extension, or content hash.")
    String idFrom;

    @Option(names = "--references", paramLabel = "FILE",
            description = "Reference captions to publish to the references topic (.jsonl, .csv / captions.txt, Flickr8k.token.txt).")
    Path references;

    @Option(names = "--max-image-bytes", paramLabel = "N", defaultValue = "" + ImageEvent.DEFAULT_MAX_IMAGE_BYTES,
            description = "Largest image to publish (default: ${DEFAULT-VALUE}).")
    int maxImageBytes;

    @Option(names = "--no-progress", description = "Do not draw a progress bar.")
    boolean noProgress;

    @Override
    public Integer call() {
        Publisher.IdFrom from = parseIdFrom(idFrom);
        List<ImageInputs.Input> inputs = ImageInputs.expand(paths);
        List<References> refs = references == null ? List.of() : ReferenceFiles.read(references);
        Topics topics = kafka.topics().withMaxImageBytes(maxImageBytes);
        TopicAdmin.ensure(kafka.settings(), topics);
        try (Publisher publisher = new Publisher(kafka.settings(), topics)) {
            Publisher.Result result = publisher.publishImages(inputs, from, !noProgress && interactive());
            int refCount = publisher.publishReferences(refs);
            out().println(result.summary(refCount));
            return result.skipped().isEmpty() ? 0 : CaptionCli.EXIT_PARTIAL;
        }
    }

    static Publisher.IdFrom parseIdFrom(String value) {
        try {
            return Publisher.IdFrom.valueOf(value.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--id-from must be path, name or sha256, got '" + value + "'");
        }
    }
}
