package io.llmmetering.local;

import io.llmmetering.creditapi.openrouter.FernetCipher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The local system's secrets: the HMAC secret credit-api checks tokens with ({@code JWT_SECRET}) and the Fernet
 * key OpenRouter keys are stored under ({@code ENCRYPTION_KEY}). Each is the environment's when set, otherwise a
 * random one created once in the data directory (owner-readable only), so {@code token} can sign with it later
 * and stored keys stay readable across restarts.
 */
public final class LocalSecret {

    static final String FILE_NAME = "jwt-secret";
    static final String ENCRYPTION_KEY_FILE = "encryption-key";

    private LocalSecret() {
    }

    public static String jwtSecret(Path dataDir, Map<String, String> env) throws IOException {
        return secret(dataDir, env, "JWT_SECRET", FILE_NAME, () -> {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            return HexFormat.of().formatHex(random);
        });
    }

    static String encryptionKey(Path dataDir, Map<String, String> env) throws IOException {
        return secret(dataDir, env, "ENCRYPTION_KEY", ENCRYPTION_KEY_FILE, FernetCipher::generateKey);
    }

    private static String secret(Path dataDir, Map<String, String> env, String variable, String fileName, Supplier<String> generator)
            throws IOException {
        String configured = env.get(variable);
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        Path file = dataDir.resolve(fileName);
        if (Files.exists(file)) {
            ownerOnly(file);
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        }
        Files.createDirectories(dataDir);
        String secret = generator.get();
        Path temporary = Files.createTempFile(dataDir, fileName, ".tmp");
        ownerOnly(temporary);
        Files.writeString(temporary, secret, StandardCharsets.UTF_8);
        Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return secret;
    }

    /**
     * Readable by its owner only. An existing file that others may read (copied in, restored from a backup, made
     * under another umask) is tightened before it is used, and said so: a secret others can read signs their tokens.
     */
    static void ownerOnly(Path file) throws IOException {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
            if (!ownerOnly.containsAll(permissions)) {
                Files.setPosixFilePermissions(file, ownerOnly);
                if (!file.getFileName().toString().endsWith(".tmp")) {
                    System.err.println("[local] " + file + " was readable by others (" + PosixFilePermissions.toString(permissions)
                            + "); made owner-only (rw-------)");
                }
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the data directory's own permissions protect it
        }
    }
}
