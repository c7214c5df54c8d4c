package dev.caption.nn.hub;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A model named by a Hugging Face repo id with a revision ({@code Qwen/Qwen3-0.6B}, {@code Qwen/Qwen3-0.6B@main},
 * a commit hash), or by a local directory.
 *
 * @param repoId   {@code org/name}, or null for a local directory
 * @param revision branch, tag or commit (default {@code main}); null for a local directory
 * @param localDir the directory, or null for a hub model
 */
public record ModelRef(String repoId, String revision, Path localDir) {

    public static final String DEFAULT_REVISION = "main";
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?");

    /**
     * Parses {@code spec}: an existing directory is local; otherwise {@code repo[@revision]}. An explicit
     * {@code revision} argument wins over one in the spec.
     */
    public static ModelRef parse(String spec, String revision) {
        if (spec == null || spec.isBlank()) {
            throw new CheckpointException("no model given: pass a Hugging Face id (org/name) or a directory");
        }
        Path path = Path.of(spec);
        if (Files.isDirectory(path)) {
            return new ModelRef(null, null, path);
        }
        String id = spec;
        String rev = revision;
        int at = spec.lastIndexOf('@');
        if (at > 0) {
            id = spec.substring(0, at);
            rev = rev != null ? rev : spec.substring(at + 1);
        }
        if (!REPO_ID.matcher(id).matches() || id.contains("..") || id.startsWith("./") || id.startsWith("/")) {
            throw new CheckpointException("'" + spec + "' is neither an existing directory nor a Hugging Face id "
                    + "like org/name");
        }
        return new ModelRef(id, rev == null || rev.isBlank() ? DEFAULT_REVISION : rev, null);
    }

    public boolean isLocal() {
        return localDir != null;
    }

    /**
     * How the model is named in frames, adapter.json and logs: the hub id, or the directory as an absolute,
     * normalised path (so that the same directory is spelled the same way by every stage).
     */
    public String displayId() {
        return isLocal() ? localDir.toAbsolutePath().normalize().toString() : repoId;
    }

    @Override
    public String toString() {
        return isLocal() ? localDir.toString() : repoId + "@" + revision;
    }

    /**
     * Whether two model names are the same model. Hub ids compare exactly. A local directory (an absolute path, as
     * {@link #displayId} writes it, or any path with a directory part) is the same model as any other spelling with
     * the same last element: a copied checkpoint is the same checkpoint.
     */
    public static boolean sameModel(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        return (isPath(a) || isPath(b)) && lastElement(a).equals(lastElement(b));
    }

    private static boolean isPath(String name) {
        return name.startsWith("/") || name.startsWith(".") || name.chars().filter(c -> c == '/').count() > 1
                || name.contains("\\");
    }

    private static String lastElement(String name) {
        String trimmed = name.replaceAll("[/\\\\]+$", "");
        int slash = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
        return slash < 0 ? trimmed : trimmed.substring(slash + 1);
    }
}
