package dev.caption.cli.training;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.caption.nn.shapes.ShapesDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.caption.cli.CaptionCommand;
import dev.caption.cli.SyntheticWorld;

@Command(name = "dataset", mixinStandardHelpOptions = true,
        description = "Inspect a captioning dataset, or write a synthetic one.",
        subcommands = {DatasetCommand.Info.class, DatasetCommand.Synth.class})
public final class DatasetCommand {

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Detect a dataset's layout and count its splits.")
    static final class Info extends CaptionCommand {
        @Parameters(paramLabel = "PATH", description = "Dataset directory or Karpathy-split .json.")
        Path path;

        @Option(names = "--images", paramLabel = "DIR", description = "Where the images are, if not beside the captions.")
        Path images;

        @Override
        public Integer call() {
            Datasets.Dataset d = Datasets.load(path, Optional.ofNullable(images));
            out().printf("%s: %d images (train %d, validation %d, test %d), %d captions%n", d.layout(),
                    d.entries().size(), d.split(Datasets.Split.TRAIN).size(), d.split(Datasets.Split.VAL).size(),
                    d.split(Datasets.Split.TEST).size(), d.entries().stream().mapToInt(e -> e.captions().size()).sum());
            return 0;
        }
    }

    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = "Write a synthetic shapes dataset (Images/ + captions.txt, five captions per image).")
    static final class Synth extends CaptionCommand {
        @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
        @Option(names = "--count", defaultValue = "200", paramLabel = "N") int count;
        @Option(names = "--size", defaultValue = "96", paramLabel = "PIXELS") int size;
        @Option(names = "--seed", defaultValue = "0") long seed;

        @Override
        public Integer call() throws IOException {
            SyntheticWorld.writeImagesAndCaptions(out, ShapesDataset.generate(count, size, seed));
            out().printf("wrote %d synthetic images and %d captions to %s%n", count, 5 * count, out);
            return 0;
        }
    }
}
