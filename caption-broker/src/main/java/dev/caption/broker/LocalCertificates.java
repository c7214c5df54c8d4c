package dev.caption.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The secured local broker's TLS material, made once per data directory: a CA (its certificate as PEM, which
 * clients trust; its key is not kept) and a server certificate it signs for 127.0.0.1, localhost and the broker's
 * host, in a PKCS12 keystore. EC P-256 keys, valid for ten years: this is a local broker's identity, not a public one.
 */
final class LocalCertificates {

    private static final Duration VALIDITY = Duration.ofDays(3650);
    private static final String SIGNATURE = "SHA256withECDSA";

    private LocalCertificates() {
    }

    /**
     * Writes {@code caCert} (PEM) and {@code keystore} (PKCS12, {@code password}) unless both exist. The server
     * certificate names 127.0.0.1, localhost and {@code host} (an IP address or a DNS name). Existing files must
     * already name {@code host}: a certificate is never silently replaced, since clients trust its CA.
     */
    static void ensure(Path caCert, Path keystore, char[] password, String host) {
        if (Files.isRegularFile(caCert) && Files.isRegularFile(keystore)) {
            requireNames(keystore, password, host);
            return;
        }
        try {
            KeyPair ca = keyPair();
            X500Name caName = new X500Name("CN=caption local broker CA");
            X509Certificate caCertificate = sign(new JcaX509v3CertificateBuilder(caName, serial(), notBefore(), notAfter(),
                    caName, ca.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)), ca);

            KeyPair server = keyPair();
            Set<GeneralName> names = new LinkedHashSet<>(List.of(
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")));
            names.add(new GeneralName(isIpAddress(host) ? GeneralName.iPAddress : GeneralName.dNSName, host));
            GeneralNames san = new GeneralNames(names.toArray(GeneralName[]::new));
            X509Certificate serverCertificate = sign(new JcaX509v3CertificateBuilder(caName, serial(), notBefore(),
                    notAfter(), new X500Name("CN=localhost"), server.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, san), ca);

            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", server.getPrivate(), password, new Certificate[] {serverCertificate, caCertificate});
            Files.createDirectories(keystore.getParent());
            try (OutputStream out = Secrets.newPrivateFile(keystore)) {
                store.store(out, password);
            }
            StringWriter pem = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
                writer.writeObject(caCertificate);
            }
            Files.writeString(caCert, pem.toString(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the broker's TLS files next to " + keystore, e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the broker's TLS certificates: " + e.getMessage(), e);
        }
    }

    private static boolean isIpAddress(String host) {
        return host.matches("[0-9.]+") || host.contains(":");
    }

    private static void requireNames(Path keystore, char[] password, String host) {
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            X509Certificate server = (X509Certificate) store.getCertificate("server");
            Collection<List<?>> names = server.getSubjectAlternativeNames();
            boolean named = names != null && names.stream().anyMatch(n -> host.equalsIgnoreCase(String.valueOf(n.get(1))));
            if (!named) {
                throw new IllegalStateException("the broker's certificate in " + keystore.getParent() + " does not name "
                        + host + " (it names " + (names == null ? "nothing" : names.stream().map(n -> String.valueOf(n.get(1)))
                        .toList()) + "): use another data directory for --host " + host);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + keystore, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the broker's keystore " + keystore + ": " + e.getMessage(), e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder(SIGNATURE).build(issuer.getPrivate())));
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(64, new SecureRandom()).abs().add(BigInteger.ONE);
    }

    private static Date notBefore() {
        return Date.from(Instant.now().minus(Duration.ofDays(1)));
    }

    private static Date notAfter() {
        return Date.from(Instant.now().plus(VALIDITY));
    }
}
