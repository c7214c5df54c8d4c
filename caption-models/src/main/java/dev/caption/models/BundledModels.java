package dev.caption.models;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The synthetic shapes world's models, shipped in this jar so that {@code caption demo --synthetic} works from any
 * install: clip-tiny (a random CLIP vision tower), whisper-tiny (a random Whisper, for the audio path), qwen3-shapes (a tiny Qwen3 trained on the world's caption
 * language), roberta-tiny (a random RoBERTa for BERTScore at layer 3), the trained shapes adapter between them, and
 * held-out sample images with their references.
 *
 * <p>The services load models from directories, so {@link #unpack(Path)} writes them out once, into a directory
 * named after the content's hash; a later call with the same content reuses it.
 */
public final class BundledModels {

    /** Directory names under the unpacked root. */
    public static final String CLIP = "clip-tiny";
    public static final String AUDIO_ENCODER = "whisper-tiny";
    public static final String LLM = "qwen3-shapes";
    public static final String BERTSCORE = "roberta-tiny";
    public static final String ADAPTER = "shapes-adapter";
    public static final String SAMPLES = "shapes-samples";
    /** The BERTScore layer for roberta-tiny (it has no bert_score default). */
    public static final int BERTSCORE_LAYER = 3;

    static final String RESOURCES = "/dev/caption/models/bundled/";
    static final String INDEX = RESOURCES + "index.tsv";
    private static final String COMPLETE = ".complete";

    /** One bundled file: its path under the root, size and SHA-256. */
    public record Entry(String path, long size, String sha256) {
    }

    private BundledModels() {
    }

    /** The bundled files, as the index lists them. */
    public static List<Entry> index() {
        List<Entry> out = new ArrayList<>();
        try (InputStream in = resource(INDEX);
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t");
                out.add(new Entry(f[0], Long.parseLong(f[1]), f[2]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled models' index", e);
        }
        return out;
    }

    /**
     * Writes the bundled files under {@code root/<content hash>/} unless a complete copy is there already, and
     * returns that directory. Each file is checked against its SHA-256 as it is written.
     */
    public static Path unpack(Path root) {
        List<Entry> entries = index();
        Path dir = root.resolve(version(entries));
        if (Files.isRegularFile(dir.resolve(COMPLETE))) {
            return dir;
        }
        try {
            Files.createDirectories(root);
            Path tmp = Files.createTempDirectory(root, ".unpack-");
            for (Entry e : entries) {
                Path target = tmp.resolve(e.path());
                Files.createDirectories(target.getParent());
                try (InputStream in = resource(RESOURCES + e.path())) {
                    Files.copy(in, target);
                }
                String sha = sha256(target);
                if (Files.size(target) != e.size() || !sha.equals(e.sha256())) {
                    throw new IllegalStateException("bundled file " + e.path() + " is corrupt (sha256 " + sha + ", expected "
                            + e.sha256() + ")");
                }
            }
            Files.writeString(tmp.resolve(COMPLETE), "");
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException raced) {
                // another process unpacked the same content first (or the file system cannot rename atomically)
                if (!Files.isRegularFile(dir.resolve(COMPLETE))) {
                    throw raced;
                }
            } catch (IOException notEmpty) {
                if (!Files.isRegularFile(dir.resolve(COMPLETE))) {
                    throw notEmpty;
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack the bundled models into " + root + ": " + e.getMessage(), e);
        }
    }

    /** The first 16 hex digits of the SHA-256 of the index's entries. */
    static String version(List<Entry> entries) {
        StringBuilder sb = new StringBuilder();
        entries.forEach(e -> sb.append(e.path()).append('\t').append(e.sha256()).append('\n'));
        return "v" + sha256(sb.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = BundledModels.class.getResourceAsStream(name);
        if (in == null) {
            throw new IOException("resource " + name + " is missing from the caption-models jar");
        }
        return in;
    }
}
