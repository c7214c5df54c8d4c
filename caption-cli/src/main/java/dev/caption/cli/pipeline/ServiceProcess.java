package dev.caption.cli.pipeline;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One pipeline service run as its own JVM, the way it is deployed: {@code java -jar <module>/target/quarkus-app/
 * quarkus-run.jar} with its configuration as system properties, output in a log file, readiness from
 * {@code /q/health/ready}.
 */
public final class ServiceProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;
    private final int port;

    private ServiceProcess(String name, Process process, Path log, int port) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** The runnable jar of {@code module} under the repository {@code home}, or an error saying how to build it. */
    public static Path jar(Path home, String module) {
        Path jar = home.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException(module + " is not built (" + jar + " is missing): run "
                    + "./mvnw -B -DskipTests install in " + home.toAbsolutePath());
        }
        return jar;
    }

    /** Starts {@code module} with {@code properties} on a free HTTP port; {@code name} labels its log. */
    public static ServiceProcess start(Path home, String module, String name, Map<String, String> properties, Path logDir,
                                String heap) throws IOException {
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-XX:MaxDirectMemorySize=32g",   // bf16 weights widen into direct buffers
                "--add-modules=jdk.incubator.vector",           // the CPU kernels that generate on llm-service
                "-Dai.djl.pytorch.num_interop_threads=1", "-Dquarkus.http.port=" + port));
        new TreeMap<>(properties).forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar(home, module).toString());
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DJL_OFFLINE", System.getenv().getOrDefault("DJL_OFFLINE", "true"));
        // libtorch then asks for transparent huge pages for large buffers instead of page-faulting fresh mmaps
        pb.environment().put("THP_MEM_ALLOC_ENABLE", System.getenv().getOrDefault("THP_MEM_ALLOC_ENABLE", "1"));
        // libtorch's OpenMP workers sleep after an op instead of spinning on the cores the CPU kernels use next
        pb.environment().put("OMP_WAIT_POLICY", System.getenv().getOrDefault("OMP_WAIT_POLICY", "PASSIVE"));
        return new ServiceProcess(name, pb.start(), log, port);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Waits until /q/health/ready answers 200; fails with the log's tail if the process dies or time runs out. */
    public void awaitReady(Duration timeout) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with status " + process.exitValue() + ": " + tail(12));
            }
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException(name + " was not ready after " + timeout.toSeconds() + " s: " + tail(12));
    }

    /** The service's meters in Prometheus' text format ({@code /q/metrics}). */
    public String metrics() throws IOException, InterruptedException {
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/q/metrics"))
                .timeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> r = HttpClient.newHttpClient().send(get, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(name + " answered " + r.statusCode() + " on /q/metrics");
        }
        return r.body();
    }

    /** The last lines of the service's log, on one line. */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGKILL, as a crashed node. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** The HTTP port the service listens on. */
    public int port() {
        return port;
    }

    /** SIGTERM (graceful: the service commits its batch in flight), then SIGKILL after 30 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
