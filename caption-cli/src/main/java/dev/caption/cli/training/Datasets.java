package dev.caption.cli.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.caption.core.message.Json;
import dev.caption.core.message.References;
import dev.caption.cli.ReferenceFiles;

/**
 * Captioning datasets (images or audio) from local files in their published layouts, with reference captions grouped per image:
 * <ul>
 *   <li>Flickr8k as published: {@code Flicker8k_Dataset/} + {@code Flickr8k.token.txt} + the
 *   {@code Flickr_8k.{train,dev,test}Images.txt} split files (in the root or in {@code Flickr8k_text/});</li>
 *   <li>Flickr8k as widely re-shared: {@code Images/} + {@code captions.txt} (CSV {@code image,caption});</li>
 *   <li>a Karpathy-split JSON ({@code dataset_coco.json}, {@code dataset_flickr8k.json}...), images under
 *   {@code --images} or the JSON's directory;</li>
 *   <li>a folder of images with a captions file ({@code captions.jsonl}, {@code captions.csv},
 *   {@code references.jsonl}), or images in {@code --images} with any captions file {@link ReferenceFiles} reads;</li>
 *   <li>AudioCaps: {@code train/val/test.csv} beside the audio clips ({@link AudioCaps}).</li>
 * </ul>
 * Layouts without a published split get a stable one from the id's hash: 80% train, 10% validation, 10% test.
 */
final class Datasets {

    enum Split { TRAIN, VAL, TEST }

    static final String IMAGE = "image";
    static final String AUDIO = "audio";

    /** One image or audio clip: its id, its file, its reference captions and split. */
    record Entry(String id, Path file, List<String> captions, Split split) {
    }

    /** @param modality {@link #IMAGE} or {@link #AUDIO}: what the entries' files hold */
    record Dataset(String layout, List<Entry> entries, String modality) {
        List<Entry> split(Split s) {
            return entries.stream().filter(e -> e.split() == s).toList();
        }
    }

    private static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp");

    private Datasets() {
    }

    static Dataset load(Path path, Optional<Path> images) {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("dataset not found: " + path);
        }
        String lower = path.toString().toLowerCase(Locale.ROOT);
        if (Files.isRegularFile(path) && (lower.endsWith(".csv") || lower.endsWith(".tsv")) && AudioCaps.hasColumns(path)) {
            return AudioCaps.file(path);
        }
        if (Files.isDirectory(path) && AudioCaps.isLayout(path)) {
            return AudioCaps.directory(path);
        }
        if (Files.isRegularFile(path) && lower.endsWith(".json")) {
            return karpathy(path, images.orElse(path.toAbsolutePath().getParent()));
        }
        if (Files.isRegularFile(path)) {
            Path dir = images.orElseThrow(() -> new IllegalArgumentException(
                    "a captions file needs --images DIR naming where its images are: " + path));
            return generic("captions file", dir, path);
        }
        Optional<Path> tokens = firstFile(path, "Flickr8k.token.txt", "Flickr8k_text/Flickr8k.token.txt");
        Optional<Path> flickrImages = firstDir(path, "Flicker8k_Dataset", "Flickr8k_Dataset");
        if (tokens.isPresent() && flickrImages.isPresent()) {
            return flickrOriginal(tokens.get(), flickrImages.get());
        }
        if (Files.isRegularFile(path.resolve("captions.txt")) && Files.isDirectory(path.resolve("Images"))) {
            return generic("Flickr8k (Images/ + captions.txt)", path.resolve("Images"), path.resolve("captions.txt"));
        }
        for (String name : List.of("captions.jsonl", "references.jsonl", "captions.csv")) {
            if (Files.isRegularFile(path.resolve(name))) {
                return generic("folder + " + name, images.orElse(path), path.resolve(name));
            }
        }
        throw new IllegalArgumentException(path + " is not a dataset layout this reads: expected Flicker8k_Dataset/ + "
                + "Flickr8k.token.txt, Images/ + captions.txt, a Karpathy-split .json, images with captions.jsonl/.csv, "
                + "or AudioCaps' train/val/test.csv beside its audio");
    }

    private static Dataset flickrOriginal(Path tokenFile, Path imageDir) {
        Map<String, Split> splits = new HashMap<>();
        Path textDir = tokenFile.getParent();
        for (Map.Entry<String, Split> f : Map.of("Flickr_8k.trainImages.txt", Split.TRAIN, "Flickr_8k.devImages.txt",
                Split.VAL, "Flickr_8k.testImages.txt", Split.TEST).entrySet()) {
            Path file = textDir.resolve(f.getKey());
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("Flickr8k split file missing: " + file);
            }
            try (Stream<String> lines = Files.lines(file)) {
                lines.map(String::strip).filter(l -> !l.isEmpty()).forEach(l -> splits.put(stem(l), f.getValue()));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (References r : ReferenceFiles.read(tokenFile)) {
            Split split = splits.get(r.id());
            if (split != null) {
                entries.add(new Entry(r.id(), findImage(imageDir, r.id()), r.references(), split));
            }
        }
        return new Dataset("Flickr8k (Flicker8k_Dataset + Flickr8k.token.txt + split files)", entries, IMAGE);
    }

    private static Dataset karpathy(Path json, Path imageRoot) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(json + " is not valid JSON: " + e.getMessage());
        }
        if (!root.path("images").isArray()) {
            throw new IllegalArgumentException(json + " is not a Karpathy-split file (no \"images\" array)");
        }
        List<Entry> entries = new ArrayList<>();
        for (JsonNode img : root.get("images")) {
            String file = img.path("filename").asText();
            Path image = img.has("filepath") ? imageRoot.resolve(img.get("filepath").asText()).resolve(file) : imageRoot.resolve(file);
            List<String> captions = new ArrayList<>();
            img.path("sentences").forEach(s -> captions.add(s.path("raw").asText()));
            Split split = switch (img.path("split").asText()) {
                case "val" -> Split.VAL;
                case "test" -> Split.TEST;
                default -> Split.TRAIN;                       // "train" and "restval"
            };
            if (!captions.isEmpty()) {
                entries.add(new Entry(stem(file), image, captions, split));
            }
        }
        return new Dataset("Karpathy split JSON " + json.getFileName(), entries, IMAGE);
    }

    private static Dataset generic(String layout, Path imageDir, Path captions) {
        List<Entry> entries = new ArrayList<>();
        for (References r : ReferenceFiles.read(captions)) {
            entries.add(new Entry(r.id(), findImage(imageDir, r.id()), r.references(), hashSplit(r.id())));
        }
        return new Dataset(layout, entries, IMAGE);
    }

    /** 80/10/10 by a stable hash of the id. */
    static Split hashSplit(String id) {
        int bucket = Math.floorMod(id.hashCode() * 0x9E3779B9, 10);
        return bucket == 0 ? Split.TEST : bucket == 1 ? Split.VAL : Split.TRAIN;
    }

    private static Path findImage(Path dir, String id) {
        for (String ext : IMAGE_EXTENSIONS) {
            Path p = dir.resolve(id + ext);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return dir.resolve(id + ".jpg");           // reported as missing when it is read
    }

    private static String stem(String file) {
        String name = Path.of(file).getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static Optional<Path> firstFile(Path dir, String... names) {
        return Stream.of(names).map(dir::resolve).filter(Files::isRegularFile).findFirst();
    }

    private static Optional<Path> firstDir(Path dir, String... names) {
        return Stream.of(names).map(dir::resolve).filter(Files::isDirectory).findFirst();
    }
}
