package dev.caption.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The secured local broker's identities, kept in {@code <data>/security}: a SCRAM-SHA-512 password per user (the
 * {@value #ADMIN} super user and the users the broker was built with), the TLS files, and one client properties file
 * per user ({@code clients/<user>.properties}) that any Kafka client takes as it is: bootstrap servers, SASL_SSL,
 * the user's SCRAM login and the CA to trust.
 *
 * <p>Passwords are made once, when the directory is first used, and the broker's storage is formatted with their
 * SCRAM credentials. Every file with a secret in it is readable by its owner only.
 */
public final class BrokerSecurity {

    /** The super user: the broker's own inter-broker login, and what {@code caption acls} runs as locally. */
    public static final String ADMIN = "admin";
    public static final String MECHANISM = "SCRAM-SHA-512";
    /** The name of the client listener, and its security protocol. */
    static final String LISTENER = "SASL_SSL";

    private static final String KEYSTORE_PASSWORD = "keystore.password";
    private static final String USER = "user.";

    private final Path dir;
    private final Map<String, String> passwords;
    private final String keystorePassword;

    private BrokerSecurity(Path dir, Map<String, String> passwords, String keystorePassword) {
        this.dir = dir;
        this.passwords = passwords;
        this.keystorePassword = keystorePassword;
    }

    /** Where a data directory keeps its security files; its presence marks a broker formatted as secured. */
    static Path directoryOf(Path dataDir) {
        return dataDir.resolve("security");
    }

    /**
     * Loads the identities of {@code dataDir}, making passwords for {@code users} not seen before (and the TLS
     * files, on first use, for a broker that clients reach as {@code host}).
     */
    static BrokerSecurity open(Path dataDir, List<String> users, String host) {
        Path dir = directoryOf(dataDir);
        Path credentials = dir.resolve("credentials.properties");
        try {
            Files.createDirectories(dir.resolve("clients"));
            Properties stored = new Properties();
            if (Files.isRegularFile(credentials)) {
                try (Reader in = Files.newBufferedReader(credentials, StandardCharsets.UTF_8)) {
                    stored.load(in);
                }
            }
            boolean changed = false;
            if (stored.getProperty(KEYSTORE_PASSWORD) == null) {
                stored.setProperty(KEYSTORE_PASSWORD, Secrets.newPassword());
                changed = true;
            }
            List<String> all = new ArrayList<>();
            all.add(ADMIN);
            users.stream().filter(u -> !all.contains(u)).forEach(all::add);
            for (String user : all) {
                requireName(user);
                if (stored.getProperty(USER + user) == null) {
                    stored.setProperty(USER + user, Secrets.newPassword());
                    changed = true;
                }
            }
            if (changed) {
                try (OutputStream out = Secrets.newPrivateFile(credentials)) {
                    stored.store(out, "SCRAM passwords and the keystore password of this broker; keep private");
                }
            }
            Map<String, String> passwords = new TreeMap<>();
            stored.stringPropertyNames().stream().filter(k -> k.startsWith(USER))
                    .forEach(k -> passwords.put(k.substring(USER.length()), stored.getProperty(k)));
            BrokerSecurity security = new BrokerSecurity(dir, passwords, stored.getProperty(KEYSTORE_PASSWORD));
            LocalCertificates.ensure(security.caCertificate(), security.keystore(), security.keystorePassword.toCharArray(),
                    host);
            return security;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the broker's security files in " + dir, e);
        }
    }

    private static void requireName(String user) {
        if (!user.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("SCRAM user names are letters, digits, '.', '_' and '-': '" + user + "'");
        }
    }

    /** Every user with a password, {@value #ADMIN} included. */
    public List<String> users() {
        return List.copyOf(passwords.keySet());
    }

    /** The CA certificate (PEM) that clients trust. */
    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    /** {@code user}'s client properties file, as written by the running broker. */
    public Path clientConfigFile(String user) {
        requireUser(user);
        return dir.resolve("clients").resolve(user + ".properties");
    }

    /** {@code user}'s client properties: SASL_SSL, the SCRAM login and the CA to trust (no bootstrap servers). */
    public Map<String, String> clientProperties(String user) {
        return clientProperties(user, password(user));
    }

    /** The same properties with another password, for showing what a wrong credential does. */
    public Map<String, String> clientProperties(String user, String password) {
        requireUser(user);
        Map<String, String> p = new LinkedHashMap<>();
        p.put("security.protocol", LISTENER);
        p.put("sasl.mechanism", MECHANISM);
        p.put("sasl.jaas.config", jaas(user, password));
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", caCertificate().toAbsolutePath().toString());
        return p;
    }

    String password(String user) {
        requireUser(user);
        return passwords.get(user);
    }

    /** The broker side: TLS with the server keystore, SCRAM-SHA-512, the admin login for its own connections. */
    Map<String, String> serverProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("sasl.enabled.mechanisms", MECHANISM);
        p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", jaas(ADMIN, password(ADMIN)));
        p.put("ssl.keystore.type", "PKCS12");
        p.put("ssl.keystore.location", keystore().toAbsolutePath().toString());
        p.put("ssl.keystore.password", keystorePassword);
        p.put("ssl.key.password", keystorePassword);
        // the broker's own SASL_SSL connections (inter-broker) check its certificate like any client
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", caCertificate().toAbsolutePath().toString());
        p.put("ssl.client.auth", "none");
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("allow.everyone.if.no.acl.found", "false");
        // The controller listener is PLAINTEXT on 127.0.0.1: its principal is ANONYMOUS, and the broker's own
        // registration and heartbeats reach the controller on it, so ANONYMOUS must be a super user.
        p.put("super.users", "User:" + ADMIN + ";User:ANONYMOUS");
        return p;
    }

    /** {@code kafka-storage format} arguments that give every user its SCRAM credential. */
    List<String> formatArguments() {
        List<String> args = new ArrayList<>();
        passwords.forEach((user, password) -> {
            args.add("--add-scram");
            args.add(MECHANISM + "=[name=" + user + ",password=" + password + "]");
        });
        return args;
    }

    /** Writes every user's client properties file for a broker reachable at {@code bootstrapServers}. */
    void writeClientFiles(String bootstrapServers) {
        for (String user : passwords.keySet()) {
            Properties p = new Properties();
            p.setProperty("bootstrap.servers", bootstrapServers);
            clientProperties(user).forEach(p::setProperty);
            Path file = clientConfigFile(user);
            try (OutputStream out = Secrets.newPrivateFile(file)) {
                p.store(out, "Kafka client properties of " + user + " (SASL_SSL, SCRAM-SHA-512); keep private");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }
    }

    private Path keystore() {
        return dir.resolve("server.p12");
    }

    private void requireUser(String user) {
        if (!passwords.containsKey(user)) {
            throw new IllegalArgumentException("the local broker has no user '" + user + "' (users: "
                    + String.join(", ", passwords.keySet()) + ")");
        }
    }

    private static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }
}
