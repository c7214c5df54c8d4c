package dev.caption.nn.hub;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A Hugging Face hub on loopback with the hub's URL scheme and headers: {@code /{repo}/resolve/{rev}/{file}}
 * answers HEAD with X-Repo-Commit and the etag, small files inline (git blob sha1 etag), LFS files by a redirect
 * to {@code /lfs/{sha256}} (X-Linked-Etag, X-Linked-Size), which honours Range requests.
 */
final class FakeHub implements AutoCloseable {

    record Repo(String commit, Map<String, byte[]> files, Set<String> lfs, String requiredToken) {
    }

    private final HttpServer server;
    private final Map<String, Repo> repos = new LinkedHashMap<>();
    private final Map<String, byte[]> lfsBlobs = new LinkedHashMap<>();
    /** LFS blobs whose next full download is cut off halfway. */
    final Set<String> interruptOnce = Collections.synchronizedSet(new HashSet<>());
    /** LFS blobs served with a flipped byte. */
    final Set<String> corrupt = Collections.synchronizedSet(new HashSet<>());
    final List<String> requests = Collections.synchronizedList(new ArrayList<>());

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void add(String repoId, String commit, Map<String, byte[]> files, Set<String> lfs, String requiredToken) {
        repos.put(repoId, new Repo(commit, files, lfs, requiredToken));
        for (String f : lfs) {
            lfsBlobs.put(sha256(files.get(f)), files.get(f));
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String gitBlobSha1(byte[] data) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            md.update(("blob " + data.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(md.digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String range = ex.getRequestHeaders().getFirst("Range");
            requests.add(ex.getRequestMethod() + " " + path + (range == null ? "" : " " + range));
            if (path.startsWith("/lfs/")) {
                serveLfs(ex, path.substring(5), range);
                return;
            }
            int resolve = path.indexOf("/resolve/");
            if (resolve < 0) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            String repoId = path.substring(1, resolve);
            String rest = path.substring(resolve + "/resolve/".length());
            String revision = rest.substring(0, rest.indexOf('/'));
            String file = rest.substring(revision.length() + 1);
            Repo repo = repos.get(repoId);
            if (repo == null) {
                ex.sendResponseHeaders(401, -1);          // the real hub answers 401 for unknown repos too
                return;
            }
            if (repo.requiredToken() != null
                    && !("Bearer " + repo.requiredToken()).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.sendResponseHeaders(401, -1);
                return;
            }
            byte[] data = repo.files().get(file);
            if (!(revision.equals("main") || revision.equals(repo.commit())) || data == null) {
                ex.getResponseHeaders().add("X-Error-Code", "EntryNotFound");
                ex.sendResponseHeaders(404, -1);
                return;
            }
            ex.getResponseHeaders().add("X-Repo-Commit", repo.commit());
            if (repo.lfs().contains(file)) {
                String sha = sha256(data);
                ex.getResponseHeaders().add("X-Linked-Etag", "\"" + sha + "\"");
                ex.getResponseHeaders().add("X-Linked-Size", Long.toString(data.length));
                ex.getResponseHeaders().add("ETag", "\"" + gitBlobSha1(("pointer " + sha).getBytes()) + "\"");
                ex.getResponseHeaders().add("Location", endpoint() + "/lfs/" + sha);
                ex.sendResponseHeaders(302, -1);
                return;
            }
            ex.getResponseHeaders().add("ETag", "\"" + gitBlobSha1(data) + "\"");
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.sendResponseHeaders(200, -1);
                return;
            }
            ex.sendResponseHeaders(200, data.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(data);
            }
        }
    }

    private void serveLfs(HttpExchange ex, String sha, String range) throws IOException {
        byte[] data = lfsBlobs.get(sha);
        if (data == null) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        if (corrupt.contains(sha)) {
            data = data.clone();
            data[data.length / 3] ^= 0x5A;
        }
        int from = 0;
        if (range != null && range.startsWith("bytes=")) {
            from = Integer.parseInt(range.substring(6, range.indexOf('-')));
        }
        byte[] body = java.util.Arrays.copyOfRange(data, from, data.length);
        if (from > 0) {
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
        }
        if (from == 0 && interruptOnce.remove(sha)) {
            // promise the whole file, send half, then drop the connection
            ex.sendResponseHeaders(200, body.length);
            OutputStream out = ex.getResponseBody();
            out.write(body, 0, body.length / 2);
            out.flush();
            throw new IOException("simulated connection drop");
        }
        ex.sendResponseHeaders(from > 0 ? 206 : 200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
