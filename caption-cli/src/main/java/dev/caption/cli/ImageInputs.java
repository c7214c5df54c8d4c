package dev.caption.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Expands {@code caption publish} arguments (files, directories walked recursively, glob patterns) into files with
 * their default image ids: the path relative to the argument's root, without its extension, '/'-separated.
 */
public final class ImageInputs {

    /** A file to publish and its id derived from the path. */
    public record Input(Path file, String pathId) {
    }

    private ImageInputs() {
    }

    public static List<Input> expand(List<String> arguments) {
        List<Input> inputs = new ArrayList<>();
        for (String arg : arguments) {
            if (isGlob(arg)) {
                inputs.addAll(glob(arg));
                continue;
            }
            Path path = Path.of(arg);
            if (Files.isDirectory(path)) {
                inputs.addAll(walk(path, null));
            } else if (Files.exists(path)) {
                inputs.add(new Input(path, stripExtension(path.getFileName().toString())));
            } else {
                throw new IllegalArgumentException("no such file or directory: " + arg);
            }
        }
        return inputs;
    }

    static boolean isGlob(String arg) {
        return arg.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    private static List<Input> glob(String pattern) {
        // the root is the longest leading run of path elements without glob characters
        String[] parts = pattern.split("/", -1);
        StringBuilder root = new StringBuilder(pattern.startsWith("/") ? "/" : "");
        int i = 0;
        for (; i < parts.length - 1 && !isGlob(parts[i]); i++) {
            if (!parts[i].isEmpty()) {
                root.append(parts[i]).append('/');
            }
        }
        Path rootPath = root.length() == 0 ? Path.of(".") : Path.of(root.toString());
        String rest = String.join("/", java.util.Arrays.copyOfRange(parts, i, parts.length));
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + rest);
        if (!Files.isDirectory(rootPath)) {
            throw new IllegalArgumentException("no such directory for pattern " + pattern + ": " + rootPath);
        }
        List<Input> matched = walk(rootPath, matcher);
        if (matched.isEmpty()) {
            throw new IllegalArgumentException("no file matches " + pattern);
        }
        return matched;
    }

    private static List<Input> walk(Path root, PathMatcher matcher) {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> matcher == null || matcher.matches(root.relativize(p)))
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .map(p -> new Input(p, stripExtension(root.relativize(p).toString().replace('\\', '/'))))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    public static String stripExtension(String name) {
        int slash = name.lastIndexOf('/');
        int dot = name.lastIndexOf('.');
        return dot > slash + 1 ? name.substring(0, dot) : name;
    }
}
