package dev.caption.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.caption.models.BundledModels;
import dev.caption.nn.shapes.ShapesDataset;
import dev.caption.nn.tones.TonesWorld;

/**
 * The synthetic shapes world as the commands use it with {@code --synthetic}: the bundled models (clip-tiny, a random
 * CLIP; qwen3-shapes, a tiny Qwen3 trained on the world's caption language; roberta-tiny for BERTScore at layer 3;
 * the trained shapes adapter) unpacked under {@code ~/.caption/models}, and datasets drawn by the world's renderer.
 *
 * <p>The world needs one thing that real photos do not: clip-tiny is random, so its 4×4 patch tokens carry no
 * information about each other, and the adapter itself must combine the whole grid to tell a circle from a square.
 * The default strategy, {@code conv}, does that with its kernel set to the grid side ({@link #STRATEGY_OPTIONS}):
 * the 16 patch tokens become one prefix token.
 */
public final class SyntheticWorld {

    /**
     * Images in a synthetic training set (80% train, 10% validation, 10% test): what the world needs for the default
     * three epochs to learn it.
     */
    public static final int IMAGES = 4000;
    public static final int IMAGE_SIZE = 96;
    /** conv with kernel 4: clip-tiny's 4×4 grid of patch tokens into one prefix token. */
    public static final Map<String, Integer> STRATEGY_OPTIONS = Map.of("kernel", 4);

    /** Clips in a synthetic audio training set (the tones world). */
    public static final int CLIPS = 900;

    /** The unpacked bundled models. */
    public record Models(Path clip, Path audioEncoder, Path llm, Path bertscore, int bertscoreLayer, Path adapter,
                         Path samples) {
    }

    private SyntheticWorld() {
    }

    /** Unpacks the bundled models (once) under {@code ~/.caption/models} and names their directories. */
    public static Models models() {
        Path root = BundledModels.unpack(Path.of(System.getProperty("user.home"), ".caption", "models"));
        return new Models(root.resolve(BundledModels.CLIP), root.resolve(BundledModels.AUDIO_ENCODER), root.resolve(BundledModels.LLM),
                root.resolve(BundledModels.BERTSCORE), BundledModels.BERTSCORE_LAYER, root.resolve(BundledModels.ADAPTER),
                root.resolve(BundledModels.SAMPLES));
    }

    /**
     * Writes {@code count} shapes-world images (Images/ + captions.txt, five captions each) to {@code dir}, unless a
     * dataset of that size is there already.
     */
    public static Path dataset(Path dir, int count, long seed) {
        try {
            Path captions = dir.resolve("captions.txt");
            if (Files.isRegularFile(captions) && Files.lines(captions).count() == 1L + 5L * count) {
                return dir;
            }
            writeImagesAndCaptions(dir, ShapesDataset.generate(count, IMAGE_SIZE, seed));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the synthetic dataset to " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code count} tones-world clips to {@code dir} in AudioCaps' layout (train/val/test.csv, 80/10/10, and
     * the WAV files named by their youtube_id), unless a dataset of that size is there already.
     */
    public static Path tonesDataset(Path dir, int count, long seed) {
        try {
            Path done = dir.resolve(".complete-" + count + "-" + seed);
            if (Files.isRegularFile(done)) {
                return dir;
            }
            writeAudioCaps(dir, TonesWorld.generate(count, seed));
            Files.writeString(done, "");
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the synthetic audio dataset to " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code samples} as AudioCaps publishes its metadata: one row per caption with
     * {@code audiocap_id, youtube_id, start_time, caption}; the first 80% train, then 10% val and 10% test.
     */
    public static void writeAudioCaps(Path out, List<TonesWorld.Sample> samples) throws IOException {
        Files.createDirectories(out);
        String header = "audiocap_id,youtube_id,start_time,caption\n";
        StringBuilder[] splits = {new StringBuilder(header), new StringBuilder(header), new StringBuilder(header)};
        int audiocapId = 1;
        for (int i = 0; i < samples.size(); i++) {
            TonesWorld.Sample s = samples.get(i);
            Files.write(out.resolve(s.id() + ".wav"), s.wav());
            StringBuilder csv = splits[i < samples.size() * 8 / 10 ? 0 : i < samples.size() * 9 / 10 ? 1 : 2];
            for (String c : s.captions()) {
                csv.append(audiocapId++).append(',').append(s.id()).append(",0,\"").append(c.replace("\"", "\"\"")).append("\"\n");
            }
        }
        Files.writeString(out.resolve("train.csv"), splits[0]);
        Files.writeString(out.resolve("val.csv"), splits[1]);
        Files.writeString(out.resolve("test.csv"), splits[2]);
    }

    /** Writes {@code samples} in the Images/ + captions.txt layout. */
    public static void writeImagesAndCaptions(Path out, List<ShapesDataset.Sample> samples) throws IOException {
        Path images = Files.createDirectories(out.resolve("Images"));
        StringBuilder csv = new StringBuilder("image,caption\n");
        for (ShapesDataset.Sample s : samples) {
            Files.write(images.resolve(s.id() + ".png"), s.png());
            for (String c : s.captions()) {
                csv.append(s.id()).append(".png,\"").append(c.replace("\"", "\"\"")).append("\"\n");
            }
        }
        Files.writeString(out.resolve("captions.txt"), csv);
    }
}
