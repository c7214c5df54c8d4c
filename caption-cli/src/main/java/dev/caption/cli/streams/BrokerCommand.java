package dev.caption.cli.streams;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
            "Its data directory survives restarts. Ctrl-C stops it cleanly."})
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

    @Override
    public Integer call() throws Exception {
        Path dir = data != null ? data : Path.of(System.getProperty("user.home"), ".caption", secure ? "kafka-secure" : "kafka");
        int controller = controllerPort != null ? controllerPort : port + 1;
        requireFree(port, "--port");
        requireFree(controller, "--controller-port");
        LocalKafkaBroker broker = LocalBrokers.builder(secure).dataDir(dir).port(port).controllerPort(controller).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            err().println("caption broker: stopping…");
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
        stopped.await();
        return 0;
    }

    private static void requireFree(int port, String option) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " is in use (another broker running? choose " + option + ")");
        }
    }
}
