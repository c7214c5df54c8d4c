package dev.caption.cli.models;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;

import dev.caption.cli.DownloadProgress;
import dev.caption.nn.bert.BertScoreSpec;
import dev.caption.nn.bert.BertScorer;
import dev.caption.nn.hub.HubEnvironment;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** The BERTScore model options {@code bertscore} and {@code eval} share. */
public final class BertScoreOptions {

    @Option(names = "--model", defaultValue = BertScoreSpec.DEFAULT_MODEL, paramLabel = "HF-ID|DIR",
            description = "BERT, RoBERTa or DistilBERT checkpoint (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--revision", paramLabel = "REV", description = "Branch, tag or commit (default: main).")
    String revision;

    @Option(names = "--layer", paramLabel = "L",
            description = "Hidden state to use (default: bert_score's for the model, e.g. roberta-large 17).")
    Integer layer;

    @ArgGroup(exclusive = true)
    Rescaling rescaling;

    static final class Rescaling {
        @Option(names = "--baseline", paramLabel = "FILE", description = "Rescale with a baseline file in bert_score's format (LAYER,P,R,F).")
        Path file;

        @Option(names = "--rescale", description = "Rescale with bert_score's built-in baseline (roberta-large, layer 17).")
        boolean builtIn;
    }

    @Option(names = "--batch-size", defaultValue = "" + BertScoreSpec.DEFAULT_BATCH, paramLabel = "N",
            description = "Sentences per model call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda:N", description = "Where to run (default: ${DEFAULT-VALUE}).")
    String device;

    BertScoreSpec spec() {
        return BertScoreSpec.builder(model).revision(revision).layer(Optional.ofNullable(layer))
                .rescaling(rescaling == null ? BertScoreSpec.Rescaling.NONE
                        : BertScoreSpec.Rescaling.of(rescaling.builtIn, rescaling.file))
                .device(device).batchSize(batchSize).build();
    }

    /** Loads the scorer; a model without a default layer asks for {@code --layer}. */
    BertScorer open(PrintWriter err) {
        try {
            return spec().open(HubEnvironment.fromSystem(), new DownloadProgress(err));
        } catch (BertScoreSpec.MissingLayerException e) {
            throw e.naming("--layer");
        }
    }
}
