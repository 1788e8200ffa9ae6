package io.llmmetering.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * The HMAC secret the local credit-api checks tokens with: {@code JWT_SECRET} when set, otherwise a random one
 * created once in the data directory (owner-readable only), so {@code token} can sign with it later.
 */
final class LocalSecret {

    static final String FILE_NAME = "jwt-secret";

    private LocalSecret() {
    }

    static String jwtSecret(Path dataDir, Map<String, String> env) throws IOException {
        String configured = env.get("JWT_SECRET");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        }
        Files.createDirectories(dataDir);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String secret = HexFormat.of().formatHex(random);
        Path temporary = Files.createTempFile(dataDir, FILE_NAME, ".tmp");
        try {
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the data directory's own permissions protect it
        }
        Files.writeString(temporary, secret, StandardCharsets.UTF_8);
        Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return secret;
    }
}
