package dev.caption.cli.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;

import dev.caption.nn.Devices;
import dev.caption.nn.bert.BertConfig;
import dev.caption.nn.bert.BertScorer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.caption.cli.CaptionCommand;

/** BERTScore's speed at roberta-large's size (random weights: speed does not depend on their values). */
@Command(name = "bertscore", mixinStandardHelpOptions = true,
        description = {"Candidates/s of BERTScore with a random-weight roberta-large (layer 17).",
            "With 1 and with 5 references per candidate. Captions are random 8-14 word sentences."})
public final class BenchBertScoreCommand extends CaptionCommand {

    @Option(names = "--tokenizer", required = true, paramLabel = "DIR",
            description = "A directory with a RoBERTa tokenizer.json (e.g. a roberta-large snapshot).")
    Path tokenizer;

    @Option(names = "--candidates", defaultValue = "64", description = "Candidates timed per setting (default: ${DEFAULT-VALUE}).")
    int candidates;

    @Option(names = "--refs", split = ",", defaultValue = "1,5", description = "References per candidate (default: ${DEFAULT-VALUE}).")
    List<Integer> refs;

    @Option(names = "--batch-size", defaultValue = "64", description = "Sentences per model call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    private static final String[] WORDS = ("a the dog cat man woman child girl boy runs sits stands on in near under "
            + "grass beach street park red blue green small large two three with ball frisbee water snow bench tree "
            + "jumps plays rides bicycle horse car while holding looking at").split(" ");

    @Override
    public Integer call() {
        out().printf(Locale.ROOT, "bench bertscore: roberta-large shape (random weights), layer 17, batch %d, %s, %d threads%n",
                batchSize, device, Runtime.getRuntime().availableProcessors());
        Random random = new Random(3);
        try (BertScorer scorer = BertScorer.random(BertConfig.robertaLarge(), 17, tokenizer, batchSize, Devices.parse(device))) {
            scorer.score(List.of(sentence(random)), List.of(List.of(sentence(random))), scorer.uniform());
            for (int k : refs) {
                List<String> cands = new ArrayList<>();
                List<List<String>> references = new ArrayList<>();
                for (int i = 0; i < candidates; i++) {
                    cands.add(sentence(random));
                    List<String> r = new ArrayList<>();
                    for (int j = 0; j < k; j++) {
                        r.add(sentence(random));
                    }
                    references.add(r);
                }
                long t0 = System.nanoTime();
                scorer.score(cands, references, scorer.uniform());
                double s = (System.nanoTime() - t0) / 1e9;
                out().printf(Locale.ROOT, "  %d reference(s): %7.2f candidates/s, %.2f candidate-reference pairs/s (%d candidates in %.2f s, "
                                + "%.1f sentences/s)%n", k, candidates / s, candidates * k / s, candidates, s, candidates * (k + 1) / s);
            }
        }
        return 0;
    }

    private static String sentence(Random random) {
        int n = 8 + random.nextInt(7);
        StringBuilder sb = new StringBuilder("A");
        for (int i = 1; i < n; i++) {
            sb.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
        }
        return sb.append('.').toString();
    }
}
