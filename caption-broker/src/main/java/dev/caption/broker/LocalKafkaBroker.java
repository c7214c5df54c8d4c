package dev.caption.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;

/**
 * A real single-node Apache Kafka broker (KRaft, broker and controller in one process) on loopback.
 *
 * <p>It is the broker behind {@code caption broker}, {@code caption demo} and every test that needs Kafka: no
 * Docker, no mocks. The data directory survives {@link #stop()}, so {@link #start()} brings the same broker back
 * (same cluster id, same port, same topics and committed offsets), which is what the broker-restart tests need.
 *
 * <p>The settings are the single-node ones: without replication factor 1 for the internal
 * topics, consumer groups and transactions hang.
 */
public final class LocalKafkaBroker implements AutoCloseable {

    /** Largest record the broker accepts by default; images above the publisher's limit never get this far. */
    public static final int DEFAULT_MESSAGE_MAX_BYTES = 16 * 1024 * 1024;

    private final Path dataDir;
    private final boolean ownsDataDir;
    private final int port;
    private final int controllerPort;
    private final int messageMaxBytes;
    private final Map<String, String> overrides;
    private final String host;
    private final String listenAddress;
    private final BrokerSecurity security;
    private KafkaRaftServer server;

    private LocalKafkaBroker(Builder builder) {
        try {
            this.ownsDataDir = builder.dataDir == null;
            this.dataDir = ownsDataDir ? Files.createTempDirectory("caption-kafka-") : builder.dataDir;
            this.port = builder.port > 0 ? builder.port : freePort();
            int controller = builder.controllerPort > 0 ? builder.controllerPort : freePort();
            // two ephemeral ports asked for one after the other can be the same one
            while (builder.controllerPort <= 0 && controller == this.port) {
                controller = freePort();
            }
            this.controllerPort = controller;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the local broker", e);
        }
        this.messageMaxBytes = builder.messageMaxBytes;
        this.overrides = Map.copyOf(builder.overrides);
        this.host = builder.host;
        this.listenAddress = builder.listenAddress != null ? builder.listenAddress : builder.host;
        Path securityDir = BrokerSecurity.directoryOf(dataDir);
        if (builder.scramUsers == null && Files.isDirectory(securityDir)) {
            throw new IllegalStateException("the broker in " + dataDir + " was formatted secured (SASL_SSL, ACLs): "
                    + "start it secured (caption broker --secure), or use another data directory");
        }
        if (builder.scramUsers != null && !Files.isDirectory(securityDir)
                && Files.exists(dataDir.resolve("logs").resolve("meta.properties"))) {
            throw new IllegalStateException("the broker in " + dataDir + " was formatted without security: "
                    + "a secured broker needs a new data directory (--data)");
        }
        this.security = builder.scramUsers == null ? null : BrokerSecurity.open(dataDir, builder.scramUsers, host);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Formats the data directory on first use, starts the broker and waits until a client sees it. */
    public synchronized LocalKafkaBroker start() {
        if (server != null) {
            return this;
        }
        Properties props = serverProperties();
        formatIfNeeded(props);
        KafkaRaftServer started = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        started.startup();
        server = started;
        if (security != null) {
            security.writeClientFiles(bootstrapServers());
        }
        awaitReady(Duration.ofSeconds(60));
        return this;
    }

    /** Shuts the broker down and keeps its data directory, so that {@link #start()} resumes it. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** Where clients reach the broker: its {@link Builder#host host} and port. */
    public String bootstrapServers() {
        return host + ":" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The users, passwords and TLS files of a secured broker; empty for a plaintext one. */
    public Optional<BrokerSecurity> security() {
        return Optional.ofNullable(security);
    }

    /**
     * Client properties for {@code user}, bootstrap servers included: a plaintext broker needs only those (and
     * ignores the user); a secured one adds SASL_SSL, the user's SCRAM login and the CA.
     */
    public Map<String, String> clientProperties(String user) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        if (security != null) {
            p.putAll(security.clientProperties(user));
        }
        return p;
    }

    /** Stops the broker and deletes the data directory if this object created it. */
    @Override
    public void close() {
        stop();
        if (ownsDataDir) {
            deleteRecursively(dataDir);
        }
    }

    private Properties serverProperties() {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        String listener = security != null ? BrokerSecurity.LISTENER : "PLAINTEXT";
        p.put("listeners", listener + "://" + listenAddress + ":" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", listener + "://" + host + ":" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", listener);
        p.put("listener.security.protocol.map", listener + ":" + listener + ",CONTROLLER:PLAINTEXT");
        if (security != null) {
            p.putAll(security.serverProperties());
        }
        p.put("log.dirs", dataDir.resolve("logs").toString());

        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");

        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.cleaner.dedupe.buffer.size", "8388608");
        // On restart the controller waits for the old broker registration's session to expire before the
        // broker is unfenced: 9 s by default, which made every restart take 11 s. 3 s is ample on loopback.
        p.put("broker.session.timeout.ms", "3000");
        p.put("broker.heartbeat.interval.ms", "500");
        // Topics are created by the code with their partition counts (Topics); a typo must not invent one.
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "1");

        p.put("message.max.bytes", Integer.toString(messageMaxBytes));
        p.put("replica.fetch.max.bytes", Integer.toString(messageMaxBytes));
        p.put("socket.request.max.bytes", Integer.toString(Math.max(messageMaxBytes * 2, 104857600)));
        p.putAll(overrides);
        return p;
    }

    private void formatIfNeeded(Properties props) {
        Path logs = dataDir.resolve("logs");
        if (Files.exists(logs.resolve("meta.properties"))) {
            return;
        }
        try {
            Files.createDirectories(logs);
            // the formatter reads the server's configuration from a file; a secured one holds passwords, so the
            // file is private and removed once the storage is formatted
            Path config = dataDir.resolve("format.properties");
            try (OutputStream out = Secrets.newPrivateFile(config)) {
                props.store(out, "written by caption's LocalKafkaBroker to format the storage");
            }
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            String clusterId = Uuid.randomUuid().toString();
            List<String> args = new ArrayList<>(
                    List.of("format", "-t", clusterId, "-c", config.toString()));
            if (security != null) {
                args.addAll(security.formatArguments());
            }
            int rc;
            try {
                rc = StorageTool.execute(args.toArray(String[]::new), new PrintStream(captured, true, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(config);
            }
            if (rc != 0) {
                throw new IllegalStateException("formatting the broker storage in " + logs + " failed: "
                        + captured.toString(StandardCharsets.UTF_8).trim());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot format the broker storage in " + logs, e);
        }
    }

    private void awaitReady(Duration timeout) {
        Properties p = new Properties();
        p.putAll(clientProperties(BrokerSecurity.ADMIN));
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(p)) {
            while (true) {
                try {
                    int nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(5000))
                            .nodes().get(6, TimeUnit.SECONDS).size();
                    if (nodes > 0) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the local broker on " + bootstrapServers()
                                + " did not become ready within " + timeout.toSeconds() + " s", e);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the local broker on " + bootstrapServers()
                            + " reports no nodes after " + timeout.toSeconds() + " s");
                }
                sleep(100);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the local broker", e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // best effort: a temp directory left behind is harmless
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    public static final class Builder {
        private Path dataDir;
        private int port;
        private int controllerPort;
        private int messageMaxBytes = DEFAULT_MESSAGE_MAX_BYTES;
        private final LinkedHashMap<String, String> overrides = new LinkedHashMap<>();
        private List<String> scramUsers;
        private String host = "127.0.0.1";
        private String listenAddress;

        private Builder() {
        }

        /** Where the broker keeps its logs; kept on close. Without it, a temporary directory is used and deleted. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** The client port; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder controllerPort(int controllerPort) {
            this.controllerPort = controllerPort;
            return this;
        }

        public Builder messageMaxBytes(int messageMaxBytes) {
            this.messageMaxBytes = messageMaxBytes;
            return this;
        }

        /**
         * Secured: one SASL_SSL listener (TLS from a CA made in the data directory, SCRAM-SHA-512 logins for these
         * users and {@value BrokerSecurity#ADMIN}), the StandardAuthorizer, and no access without an ACL. The
         * controller listener stays PLAINTEXT on 127.0.0.1. ACLs are the caller's to grant (as the admin user).
         */
        public Builder secured(List<String> users) {
            this.scramUsers = List.copyOf(users);
            return this;
        }

        /**
         * The name clients reach the broker by (default 127.0.0.1): the advertised listener, the bootstrap servers
         * of the client files, and on a secured broker a name in its certificate. {@code kafka} in a Compose network,
         * say.
         */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** The address the client listener binds (default: the host); 0.0.0.0 for every interface. */
        public Builder listenAddress(String address) {
            this.listenAddress = address;
            return this;
        }

        /** Any broker property, applied last. */
        public Builder property(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        public LocalKafkaBroker build() {
            return new LocalKafkaBroker(this);
        }
    }
}
