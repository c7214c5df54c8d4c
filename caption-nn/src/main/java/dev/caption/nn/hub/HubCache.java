package dev.caption.nn.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * huggingface_hub's cache layout:
 * <pre>
 * {cache}/models--{org}--{name}/
 *     blobs/{etag}                      file contents, named by their etag (sha256 for LFS files)
 *     refs/{revision}                   the commit a branch or tag pointed to when last resolved
 *     snapshots/{commit}/{filename}     relative symlink to ../../blobs/{etag}
 * </pre>
 */
public final class HubCache {

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private final Path root;

    public HubCache(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path repoDir(String repoId) {
        return root.resolve("models--" + repoId.replace("/", "--"));
    }

    public Path blob(String repoId, String etag) {
        return repoDir(repoId).resolve("blobs").resolve(etag);
    }

    public Path snapshot(String repoId, String commit) {
        return repoDir(repoId).resolve("snapshots").resolve(commit);
    }

    public static boolean isCommit(String revision) {
        return COMMIT.matcher(revision).matches();
    }

    /** The commit a revision resolves to in the cache: the revision itself if it is one, else refs/{revision}. */
    public Optional<String> commitFor(String repoId, String revision) {
        if (isCommit(revision)) {
            return Optional.of(revision);
        }
        Path ref = repoDir(repoId).resolve("refs").resolve(revision);
        try {
            return Files.isRegularFile(ref) ? Optional.of(Files.readString(ref, StandardCharsets.UTF_8).trim())
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void writeRef(String repoId, String revision, String commit) throws IOException {
        if (isCommit(revision) && revision.equals(commit)) {
            return;
        }
        Path ref = repoDir(repoId).resolve("refs").resolve(revision);
        Files.createDirectories(ref.getParent());
        Files.writeString(ref, commit, StandardCharsets.UTF_8);
    }

    /** Points snapshots/{commit}/{file} at blobs/{etag} with a relative symlink (a copy where links fail). */
    void link(String repoId, String commit, String file, String etag) throws IOException {
        Path target = snapshot(repoId, commit).resolve(file);
        Files.createDirectories(target.getParent());
        Path blob = blob(repoId, etag);
        Files.deleteIfExists(target);
        try {
            Files.createSymbolicLink(target, target.getParent().relativize(blob));
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(blob, target);
        }
    }
}
