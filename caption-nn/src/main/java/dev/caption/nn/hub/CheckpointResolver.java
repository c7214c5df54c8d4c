package dev.caption.nn.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Finds a model's files: in a local directory, in the Hugging Face cache, or by downloading them from the hub
 * into that cache exactly as huggingface_hub lays it out (so Python and this code share one cache).
 *
 * <p>Online, every file is looked up with a HEAD on {@code {endpoint}/{repo}/resolve/{revision}/{file}}, which
 * names the commit and the file's etag (the sha256 of LFS files, the git blob sha1 of small ones). A blob already
 * in the cache is reused; otherwise it is downloaded to {@code blobs/{etag}.incomplete}, resumed with an HTTP
 * Range request after an interruption, verified against the etag, and moved into place. With
 * {@code HF_HUB_OFFLINE} set, only the cache is used.
 *
 * <p>Weights are {@code model.safetensors}, or {@code model.safetensors.index.json} and the shards its
 * {@code weight_map} names.
 */
public final class CheckpointResolver {

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HubEnvironment env;
    private final HubCache cache;
    private final DownloadListener listener;
    private final HttpClient noRedirects;
    private final HttpClient followRedirects;
    private final int maxAttempts;

    public CheckpointResolver(HubEnvironment env, DownloadListener listener) {
        this.env = env;
        this.cache = new HubCache(env.cacheDir());
        this.listener = listener == null ? DownloadListener.NONE : listener;
        this.noRedirects = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.followRedirects = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        this.maxAttempts = 5;
    }

    /** A resolved model: the directory holding its files (a snapshot for hub models) and its commit. */
    public record Resolved(ModelRef ref, Path dir, String commit, List<String> weightFiles) {
        public Path file(String name) {
            return dir.resolve(name);
        }
    }

    /**
     * Resolves config, weights and those of {@code extraFiles} the model has (tokenizer, processor and generation
     * configs: absent ones are skipped).
     */
    public Resolved resolve(ModelRef ref, List<String> extraFiles) {
        if (ref.isLocal()) {
            return resolveLocal(ref);
        }
        if (env.offline()) {
            return resolveOffline(ref);
        }
        return resolveOnline(ref, extraFiles);
    }

    private Resolved resolveLocal(ModelRef ref) {
        Path dir = ref.localDir();
        if (!Files.isRegularFile(dir.resolve(CONFIG))) {
            throw new CheckpointException("model directory " + dir + " has no " + CONFIG);
        }
        return new Resolved(ref, dir, "local", localWeights(dir, ref.toString()));
    }

    private Resolved resolveOffline(ModelRef ref) {
        Optional<String> commit = cache.commitFor(ref.repoId(), ref.revision());
        Path snapshot = commit.map(c -> cache.snapshot(ref.repoId(), c)).orElse(null);
        if (snapshot == null || !Files.isRegularFile(snapshot.resolve(CONFIG))) {
            throw new CheckpointException("model " + ref.repoId() + " (revision " + ref.revision() + ") is not in the "
                    + "Hugging Face cache " + cache.root() + " and HF_HUB_OFFLINE is set: download it where the hub is "
                    + "reachable (huggingface-cli download " + ref.repoId() + " --revision " + ref.revision()
                    + "), point HF_HUB_CACHE at a cache that has it, or pass a local model directory");
        }
        return new Resolved(ref, snapshot, commit.get(), localWeights(snapshot, ref.toString()));
    }

    private static List<String> localWeights(Path dir, String model) {
        if (Files.isRegularFile(dir.resolve(WEIGHTS))) {
            return List.of(WEIGHTS);
        }
        if (Files.isRegularFile(dir.resolve(WEIGHTS_INDEX))) {
            List<String> shards = shardsOf(dir.resolve(WEIGHTS_INDEX), model);
            for (String s : shards) {
                if (!Files.isRegularFile(dir.resolve(s))) {
                    throw new CheckpointException("model " + model + " lacks weight shard " + s + " named by "
                            + WEIGHTS_INDEX + " in " + dir);
                }
            }
            return shards;
        }
        throw new CheckpointException("model " + model + " has neither " + WEIGHTS + " nor " + WEIGHTS_INDEX + " in " + dir);
    }

    private Resolved resolveOnline(ModelRef ref, List<String> extraFiles) {
        String repo = ref.repoId();
        FileInfo config = head(ref, CONFIG).orElseThrow(() -> notFound(ref, CONFIG));
        String commit = config.commit();
        // later files are fetched at this commit, so that a push mid-download cannot mix revisions
        ModelRef pinned = new ModelRef(repo, commit, null);
        fetch(pinned, config);
        List<String> weights;
        Optional<FileInfo> single = head(pinned, WEIGHTS);
        if (single.isPresent()) {
            fetch(pinned, single.get());
            weights = List.of(WEIGHTS);
        } else {
            FileInfo index = head(pinned, WEIGHTS_INDEX).orElseThrow(() -> new CheckpointException("model " + ref
                    + " has neither " + WEIGHTS + " nor " + WEIGHTS_INDEX + " (only safetensors checkpoints are read)"));
            fetch(pinned, index);
            weights = shardsOf(cache.snapshot(repo, commit).resolve(WEIGHTS_INDEX), ref.toString());
            for (String shard : weights) {
                fetch(pinned, head(pinned, shard).orElseThrow(() -> notFound(ref, shard)));
            }
        }
        for (String extra : new LinkedHashSet<>(extraFiles)) {
            head(pinned, extra).ifPresent(info -> fetch(pinned, info));
        }
        try {
            cache.writeRef(repo, ref.revision(), commit);
        } catch (IOException e) {
            throw new CheckpointException("cannot write the cache ref for " + ref + ": " + e.getMessage(), e);
        }
        return new Resolved(ref, cache.snapshot(repo, commit), commit, weights);
    }

    private static List<String> shardsOf(Path index, String model) {
        try {
            JsonNode map = JSON.readTree(index.toFile()).get("weight_map");
            if (map == null || !map.isObject()) {
                throw new CheckpointException(WEIGHTS_INDEX + " of " + model + " has no weight_map");
            }
            Set<String> shards = new TreeSet<>();
            map.elements().forEachRemaining(v -> shards.add(v.asText()));
            for (String s : shards) {
                if (s.contains("..") || s.startsWith("/")) {
                    throw new CheckpointException(WEIGHTS_INDEX + " of " + model + " names an unsafe shard path " + s);
                }
            }
            return new ArrayList<>(shards);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + WEIGHTS_INDEX + " of " + model + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ HTTP

    /** What a HEAD on resolve/ says of a file. */
    private record FileInfo(String file, String commit, String etag, long size) {
    }

    private URI resolveUri(ModelRef ref, String file) {
        String path = List.of(file.split("/")).stream().map(CheckpointResolver::encode).collect(Collectors.joining("/"));
        return URI.create(env.endpoint() + "/" + ref.repoId() + "/resolve/" + encode(ref.revision()) + "/" + path);
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(2))
                .header("User-Agent", "caption/0.1 (java; huggingface_hub-compatible)");
        env.token().ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return b;
    }

    /** HEAD the file; empty on 404. Relative redirects (renamed repos) are followed, CDN redirects are not. */
    private Optional<FileInfo> head(ModelRef ref, String file) {
        URI uri = resolveUri(ref, file);
        for (int hop = 0; hop < 5; hop++) {
            HttpResponse<Void> r = send(noRedirects, request(uri).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    ref, file);
            int status = r.statusCode();
            if (status == 404) {
                return Optional.empty();
            }
            checkAuth(status, ref, file);
            String location = r.headers().firstValue("Location").orElse(null);
            if (status >= 300 && status < 400 && location != null && location.startsWith("/")) {
                uri = uri.resolve(location);
                continue;
            }
            if (status >= 400) {
                throw new CheckpointException("hub answered HTTP " + status + " for " + file + " of " + ref + " (" + uri + ")");
            }
            String commit = r.headers().firstValue("X-Repo-Commit").orElseThrow(() -> new CheckpointException(
                    "hub gave no X-Repo-Commit for " + file + " of " + ref + ": is HF_ENDPOINT (" + env.endpoint()
                            + ") a Hugging Face hub?"));
            String etag = normalizeEtag(r.headers().firstValue("X-Linked-Etag")
                    .or(() -> r.headers().firstValue("ETag")).orElseThrow(() -> new CheckpointException(
                            "hub gave no ETag for " + file + " of " + ref)));
            long size = r.headers().firstValue("X-Linked-Size").or(() -> r.headers().firstValue("Content-Length"))
                    .map(Long::parseLong).orElse(-1L);
            return Optional.of(new FileInfo(file, commit, etag, size));
        }
        throw new CheckpointException("too many redirects resolving " + file + " of " + ref);
    }

    private static String normalizeEtag(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        return e.replace("\"", "");
    }

    private void checkAuth(int status, ModelRef ref, String file) {
        if (status == 401 || status == 403) {
            throw new CheckpointException("model " + ref.repoId() + " needs authentication (HTTP " + status + " for "
                    + file + "): it is gated or private; " + (env.token().isPresent()
                    ? "the token in HF_TOKEN has no access to it" : "set HF_TOKEN to a token that has access"));
        }
    }

    private CheckpointException notFound(ModelRef ref, String file) {
        return new CheckpointException("model " + ref.repoId() + " (revision " + ref.revision() + ") has no " + file
                + " on " + env.endpoint() + " (HTTP 404): check the id and revision");
    }

    /** Makes sure snapshots/{commit}/{file} exists, downloading the blob if the cache lacks it. */
    private void fetch(ModelRef ref, FileInfo info) {
        String repo = ref.repoId();
        Path blob = cache.blob(repo, info.etag());
        try {
            if (!Files.isRegularFile(blob)) {
                download(ref, info, blob);
            }
            cache.link(repo, info.commit(), info.file(), info.etag());
        } catch (IOException e) {
            throw new CheckpointException("cannot store " + info.file() + " of " + ref + " in " + cache.root() + ": "
                    + e.getMessage(), e);
        }
    }

    private void download(ModelRef ref, FileInfo info, Path blob) throws IOException {
        Files.createDirectories(blob.getParent());
        Path partial = blob.resolveSibling(blob.getFileName() + ".incomplete");
        IOException last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            long have = Files.exists(partial) ? Files.size(partial) : 0;
            listener.onFileStart(info.file(), info.size(), have);
            try {
                if (info.size() < 0 || have < info.size()) {
                    transfer(ref, info, partial, have);
                }
                verify(info, partial, ref);
                Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                listener.onFileDone(info.file());
                return;
            } catch (IOException e) {
                last = e;
                sleep(500L << (attempt - 1));
            }
        }
        throw new CheckpointException("downloading " + info.file() + " of " + ref + " failed after " + maxAttempts
                + " attempts (the partial file is kept and the next run resumes it): " + last.getMessage(), last);
    }

    private void transfer(ModelRef ref, FileInfo info, Path partial, long have) throws IOException {
        HttpRequest.Builder b = request(resolveUri(ref, info.file())).GET();
        if (have > 0) {
            b.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> r = send(followRedirects, b.build(), ref, info.file(), HttpResponse.BodyHandlers.ofInputStream());
        int status = r.statusCode();
        checkAuth(status, ref, info.file());
        if (status == 404) {
            r.body().close();
            throw notFound(ref, info.file());
        }
        if (status != 200 && status != 206) {
            r.body().close();
            throw new IOException("HTTP " + status + " downloading " + info.file());
        }
        // a 200 to a Range request means the server sent the whole file again
        boolean append = status == 206 && have > 0;
        try (InputStream in = r.body();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                listener.onBytes(info.file(), n);
            }
        }
        if (info.size() >= 0 && Files.size(partial) < info.size()) {
            throw new IOException("connection closed after " + Files.size(partial) + " of " + info.size() + " bytes");
        }
    }

    private void verify(FileInfo info, Path file, ModelRef ref) throws IOException {
        long size = Files.size(file);
        if (info.size() >= 0 && size != info.size()) {
            Files.deleteIfExists(file);
            throw new CheckpointException(info.file() + " of " + ref + " has " + size + " bytes, the hub said "
                    + info.size() + "; the download was discarded");
        }
        String etag = info.etag().toLowerCase(Locale.ROOT);
        String actual;
        if (SHA256.matcher(etag).matches()) {
            actual = digest("SHA-256", null, file);
        } else if (SHA1.matcher(etag).matches()) {
            actual = digest("SHA-1", ("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII), file);   // git blob id
        } else {
            return;    // an etag that is no content hash: the size check above is all there is
        }
        if (!actual.equals(etag)) {
            Files.deleteIfExists(file);
            throw new CheckpointException(info.file() + " of " + ref + " failed its integrity check (expected "
                    + etag + ", got " + actual + "); the download was discarded");
        }
    }

    private static String digest(String algorithm, byte[] prefix, Path file) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            if (prefix != null) {
                md.update(prefix);
            }
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buffer = new byte[1 << 16];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    md.update(buffer, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<Void> send(HttpClient client, HttpRequest request, ModelRef ref, String file) {
        try {
            return send(client, request, ref, file, HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new CheckpointException("cannot reach the hub at " + env.endpoint() + " for " + file + " of " + ref
                    + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + " (set HF_HUB_OFFLINE=1 to use the cache only)", e);
        }
    }

    private static <T> HttpResponse<T> send(HttpClient client, HttpRequest request, ModelRef ref, String file,
                                            HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return client.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckpointException("interrupted while fetching " + file + " of " + ref, e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckpointException("interrupted while retrying a download", e);
        }
    }
}
