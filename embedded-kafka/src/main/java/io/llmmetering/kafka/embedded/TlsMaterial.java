package io.llmmetering.kafka.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A TLS certificate made for one run of the broker: a key pair and a self-signed certificate for 127.0.0.1 and
 * localhost in a PKCS12 key store (the JDK's keytool makes it: the JDK has no public API to sign a certificate), and a
 * trust store holding that certificate, which the clients and the brokers' own connections trust.
 */
record TlsMaterial(Path keystore, Path truststore, String password) {

    private static final String ALIAS = "broker";

    static TlsMaterial create(Path dir) {
        try {
            Files.createDirectories(dir);
            String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
            Path keystore = dir.resolve("broker.p12");
            Path truststore = dir.resolve("truststore.p12");
            Files.deleteIfExists(keystore);
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", ALIAS, "-keyalg", "EC",
                    "-groupname", "secp256r1", "-validity", "7", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                    "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", password, "-keypass", password))
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("keytool could not make the broker's certificate: " + output);
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                keys.load(in, password.toCharArray());
            }
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry(ALIAS, keys.getCertificate(ALIAS));
            try (OutputStream out = Files.newOutputStream(truststore)) {
                trusted.store(out, password.toCharArray());
            }
            return new TlsMaterial(keystore, truststore, password);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make the broker's TLS material in " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
