package dev.caption.cli.training;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.caption.nn.shapes.ShapesDataset;
import dev.caption.nn.tones.TonesWorld;
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
            out().printf("%s: %d %s (train %d, validation %d, test %d), %d captions%n", d.layout(),
                    d.entries().size(), d.modality().equals(Datasets.AUDIO) ? "clips" : "images",
                    d.split(Datasets.Split.TRAIN).size(), d.split(Datasets.Split.VAL).size(),
                    d.split(Datasets.Split.TEST).size(), d.entries().stream().mapToInt(e -> e.captions().size()).sum());
            return 0;
        }
    }

    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = {"Write a synthetic dataset: the shapes world (Images/ + captions.txt, five captions per image),",
                "or with --modality audio the tones world (AudioCaps' train/val/test.csv and WAV clips, three captions each)."})
    static final class Synth extends CaptionCommand {
        @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
        @Option(names = "--count", defaultValue = "200", paramLabel = "N") int count;
        @Option(names = "--size", defaultValue = "96", paramLabel = "PIXELS", description = "Image side (shapes).") int size;
        @Option(names = "--seed", defaultValue = "0") long seed;
        @Option(names = "--modality", defaultValue = "image", paramLabel = "image|audio") String modality;

        @Override
        public Integer call() throws IOException {
            switch (modality) {
                case Datasets.IMAGE -> {
                    SyntheticWorld.writeImagesAndCaptions(out, ShapesDataset.generate(count, size, seed));
                    out().printf("wrote %d synthetic images and %d captions to %s%n", count, 5 * count, out);
                }
                case Datasets.AUDIO -> {
                    SyntheticWorld.writeAudioCaps(out, TonesWorld.generate(count, seed));
                    out().printf("wrote %d synthetic clips and %d captions to %s (AudioCaps layout)%n", count,
                            TonesWorld.TEMPLATES.size() * count, out);
                }
                default -> throw new IllegalArgumentException("--modality must be image or audio, got " + modality);
            }
            return 0;
        }
    }
}
