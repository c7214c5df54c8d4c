package dev.caption.cli.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

/**
 * AudioCaps in its published layout: {@code train.csv}, {@code val.csv} and {@code test.csv} (or one CSV/TSV file)
 * with the columns {@code audiocap_id, youtube_id, start_time, caption}, one caption per row, and the audio clips
 * beside them. A clip is a YouTube id (train has one caption per clip, val and test five), so rows are grouped by
 * {@code youtube_id}. Its file is found by the names AudioCaps downloaders use: {@code <youtube_id>},
 * {@code Y<youtube_id>}, {@code <youtube_id>_<start_time>} or one of its rows' {@code audiocap_id}, as
 * {@code .wav} or {@code .flac}, in the CSV's directory, its {@code audio/} or the split's directory.
 */
final class AudioCaps {

    static final List<String> COLUMNS = List.of("audiocap_id", "youtube_id", "start_time", "caption");
    static final List<String> SPLIT_FILES = List.of("train.csv", "val.csv", "test.csv");
    private static final List<String> AUDIO_EXTENSIONS = List.of(".wav", ".flac");

    private AudioCaps() {
    }

    /** True when {@code dir} holds an AudioCaps split file. */
    static boolean isLayout(Path dir) {
        return SPLIT_FILES.stream().map(dir::resolve).anyMatch(f -> Files.isRegularFile(f) && hasColumns(f));
    }

    /** True when the file's header names the AudioCaps columns. */
    static boolean hasColumns(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            String header = lines.findFirst().orElse("").toLowerCase(Locale.ROOT);
            return COLUMNS.stream().allMatch(header::contains);
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    /** The split files present in {@code dir}, each clip's captions grouped. */
    static Datasets.Dataset directory(Path dir) {
        List<Datasets.Entry> entries = new ArrayList<>();
        List<String> found = new ArrayList<>();
        for (String name : SPLIT_FILES) {
            Path file = dir.resolve(name);
            if (Files.isRegularFile(file)) {
                Datasets.Split split = switch (name) {
                    case "train.csv" -> Datasets.Split.TRAIN;
                    case "val.csv" -> Datasets.Split.VAL;
                    default -> Datasets.Split.TEST;
                };
                entries.addAll(read(file, Optional.of(split)));
                found.add(name);
            }
        }
        return new Datasets.Dataset("AudioCaps (" + String.join(" + ", found) + ")", entries, Datasets.AUDIO);
    }

    /** One CSV or TSV file; without a published split, clips get the stable hash split. */
    static Datasets.Dataset file(Path file) {
        return new Datasets.Dataset("AudioCaps file " + file.getFileName(), read(file, Optional.empty()), Datasets.AUDIO);
    }

    private record Clip(String youtubeId, String startTime, List<String> audiocapIds, List<String> captions) {
    }

    private static List<Datasets.Entry> read(Path file, Optional<Datasets.Split> split) {
        boolean tsv = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tsv");
        CsvMapper csv = new CsvMapper();
        csv.enable(CsvParser.Feature.TRIM_SPACES);
        CsvSchema schema = CsvSchema.emptySchema().withHeader().withColumnSeparator(tsv ? '\t' : ',');
        Map<String, Clip> clips = new LinkedHashMap<>();
        try (MappingIterator<Map<String, String>> rows = csv.readerFor(Map.class).with(schema).readValues(file.toFile())) {
            int row = 1;
            while (rows.hasNext()) {
                row++;
                Map<String, String> r = rows.next();
                for (String column : COLUMNS) {
                    if (r.get(column) == null || r.get(column).isBlank()) {
                        throw new IllegalArgumentException(file + " row " + row + " has no '" + column
                                + "' (AudioCaps columns: " + String.join(", ", COLUMNS) + ")");
                    }
                }
                Clip clip = clips.computeIfAbsent(r.get("youtube_id"),
                        id -> new Clip(id, r.get("start_time"), new ArrayList<>(), new ArrayList<>()));
                clip.audiocapIds().add(r.get("audiocap_id"));
                clip.captions().add(r.get("caption"));
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("cannot read AudioCaps file " + file + ": " + e.getMessage());
        }
        Path dir = file.toAbsolutePath().getParent();
        String splitDir = file.getFileName().toString().replaceFirst("\\.(csv|tsv)$", "");
        List<Path> dirs = List.of(dir, dir.resolve("audio"), dir.resolve(splitDir), dir.resolve("audio").resolve(splitDir));
        List<Datasets.Entry> entries = new ArrayList<>();
        for (Clip c : clips.values()) {
            entries.add(new Datasets.Entry(c.youtubeId(), findAudio(dirs, c), List.copyOf(c.captions()),
                    split.orElseGet(() -> Datasets.hashSplit(c.youtubeId()))));
        }
        return entries;
    }

    private static Path findAudio(List<Path> dirs, Clip c) {
        List<String> names = new ArrayList<>(List.of(c.youtubeId(), "Y" + c.youtubeId(), c.youtubeId() + "_" + c.startTime()));
        names.addAll(c.audiocapIds());
        for (Path dir : dirs) {
            for (String name : names) {
                for (String ext : AUDIO_EXTENSIONS) {
                    Path p = dir.resolve(name + ext);
                    if (Files.isRegularFile(p)) {
                        return p;
                    }
                }
            }
        }
        return dirs.get(0).resolve(c.youtubeId() + ".wav");      // reported as missing when it is read
    }
}
