package dev.caption.cli.streams;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.caption.broker.BrokerSecurity;
import dev.caption.broker.LocalKafkaBroker;
import dev.caption.core.kafka.TopicAdmin;
import dev.caption.core.kafka.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.caption.cli.CaptionCommand;

@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Run a real single-node Kafka broker (KRaft) on loopback, in the foreground.",
            "Its data directory survives restarts. Ctrl-C stops it cleanly. In a container, --listen 0.0.0.0",
            "--host <service name> makes it reachable from the others (docker-compose.secure.yml does)."})
public final class BrokerCommand extends CaptionCommand {

    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: ~/.caption/kafka).")
    Path data;

    @Option(names = "--port", paramLabel = "N", defaultValue = "9092", description = "Client port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--controller-port", paramLabel = "N", description = "KRaft controller port (default: port + 1).")
    Integer controllerPort;

    @Option(names = "--no-topics", description = "Do not create the pipeline topics.")
    boolean noTopics;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = "", description = "Prefix of the topics to create.")
    String topicPrefix;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "" + Topics.DEFAULT_PARTITIONS,
            description = "Partitions per topic (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--secure", description = {"SASL_SSL (TLS, SCRAM-SHA-512) and ACLs: a user per role with least",
        "privilege, and a client properties file for each in DIR/security/clients (default data: ~/.caption/kafka-secure)."})
    boolean secure;

    @Option(names = "--host", paramLabel = "NAME", defaultValue = "127.0.0.1",
            description = {"The name clients reach the broker by (default: ${DEFAULT-VALUE}): the advertised address,",
                "the client files' bootstrap servers and, with --secure, a name in the certificate."})
    String host;

    @Option(names = "--listen", paramLabel = "ADDR",
            description = "The address the client port binds (default: the host; 0.0.0.0 for every interface).")
    String listen;

    @Option(names = "--ready-file", paramLabel = "FILE",
            description = "Created once the broker, its topics and ACLs are ready, deleted when it stops (for health checks).")
    Path readyFile;

    @Override
    public Integer call() throws Exception {
        Path dir = data != null ? data : Path.of(System.getProperty("user.home"), ".caption", secure ? "kafka-secure" : "kafka");
        int controller = controllerPort != null ? controllerPort : port + 1;
        String bind = listen != null ? listen : host;
        requireFree(InetAddress.getByName(bind), port, "--port");
        requireFree(InetAddress.getLoopbackAddress(), controller, "--controller-port");
        LocalKafkaBroker broker = LocalBrokers.builder(secure).dataDir(dir).port(port).controllerPort(controller)
                .host(host).listenAddress(bind).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            err().println("caption broker: stopping…");
            if (readyFile != null) {
                try {
                    Files.deleteIfExists(readyFile);
                } catch (IOException e) {
                    err().println("caption broker: cannot delete " + readyFile + ": " + e.getMessage());
                }
            }
            broker.stop();
            stopped.countDown();
        }, "broker-shutdown"));
        broker.start();
        String topicsLine = "";
        TopicAdmin.Report report = LocalBrokers.prepare(broker, Topics.withPrefix(topicPrefix).withPartitions(partitions),
                !noTopics);
        if (report != null) {
            topicsLine = "; topics: " + report.created().size() + " created, " + report.existing().size() + " existing";
        }
        if (secure) {
            BrokerSecurity security = broker.security().orElseThrow();
            out().println("caption broker: SASL_SSL (SCRAM-SHA-512) with ACLs; client properties per user, for --kafka-config "
                    + "and the services' caption.kafka-config:");
            for (String user : security.users()) {
                out().println("  " + String.format("%-20s", user) + security.clientConfigFile(user));
            }
        }
        out().println("caption broker: Kafka ready on " + broker.bootstrapServers() + " (data in " + dir + ")"
                + topicsLine + ". Ctrl-C stops it.");
        out().flush();
        if (readyFile != null) {
            Files.writeString(readyFile, broker.bootstrapServers() + "\n");
        }
        stopped.await();
        return 0;
    }

    private static void requireFree(InetAddress address, int port, String option) {
        try (ServerSocket s = new ServerSocket(port, 1, address)) {
            s.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " is in use (another broker running? choose " + option + ")");
        }
    }
}
