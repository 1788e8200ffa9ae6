package io.llmmetering.local;

import io.llmmetering.creditapi.auth.TokenIssuer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenCommandTest {

    @TempDir
    Path dataDir;

    private record Run(int code, String out, String err) {
    }

    private Run run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] command = new String[args.length + 1];
        command[0] = "token";
        System.arraycopy(args, 0, command, 1, args.length);
        int code = LocalCommand.commandLine(env).setOut(new PrintWriter(out, true, StandardCharsets.UTF_8))
                .setErr(new PrintWriter(err, true, StandardCharsets.UTF_8)).execute(command);
        return new Run(code, out.toString(StandardCharsets.UTF_8).strip(), err.toString(StandardCharsets.UTF_8));
    }

    private static String claims(String token) {
        return new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
    }

    @Test
    void printsAnAdminTokenSignedWithTheSecretTheLauncherUses() throws Exception {
        Run run = run(Map.of(), "--user", "ops@example.com", "--admin", "--data-dir", dataDir.toString());
        assertThat(run.code()).isZero();
        assertThat(claims(run.out())).contains("\"sub\":\"ops@example.com\"", "\"roles\":[\"user\",\"admin\"]");
        String secret = LocalSecret.jwtSecret(dataDir, Map.of());
        // the same secret signs the same claims the same way: the launcher's credit-api will accept this token
        assertThat(run.out().split("\\.")[0]).isEqualTo(new TokenIssuer(secret).admin("x", Duration.ofMinutes(1)).split("\\.")[0]);
        assertThat(Files.getPosixFilePermissions(dataDir.resolve(LocalSecret.FILE_NAME))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void aUserTokenHasOnlyTheUserRoleAndTheRequestedLifetime() {
        Run run = run(Map.of(), "--user", "test@example.com", "--ttl", "30m", "--data-dir", dataDir.toString());
        String claims = claims(run.out());
        assertThat(claims).contains("\"roles\":[\"user\"]").doesNotContain("admin");
        long iat = Long.parseLong(claims.replaceAll(".*\"iat\":(\\d+).*", "$1"));
        long exp = Long.parseLong(claims.replaceAll(".*\"exp\":(\\d+).*", "$1"));
        assertThat(exp - iat).isEqualTo(1800);
    }

    @Test
    void aServiceTokenCarriesOnlyTheServiceRole() {
        Run run = run(Map.of(), "--user", "proxy-eu-1", "--service", "--data-dir", dataDir.toString());
        assertThat(claims(run.out())).contains("\"roles\":[\"service\"]");
        assertThat(run(Map.of(), "--user", "x", "--service", "--admin", "--data-dir", dataDir.toString()).code()).isEqualTo(2);
    }

    @Test
    void theSecretIsCreatedOnceAndJwtSecretOverridesIt() throws Exception {
        String first = LocalSecret.jwtSecret(dataDir, Map.of());
        assertThat(first).hasSize(64);
        assertThat(LocalSecret.jwtSecret(dataDir, Map.of())).isEqualTo(first);
        assertThat(LocalSecret.jwtSecret(dataDir, Map.of("JWT_SECRET", "from-the-environment-0123456789abcdef"))).isEqualTo("from-the-environment-0123456789abcdef");
    }

    /** A secret file others may read (copied in, restored, another umask) is made owner-only before it is used. */
    @Test
    @org.junit.jupiter.api.Tag("security")
    void anExistingSecretFileReadableByOthersIsMadeOwnerOnlyAndKept() throws Exception {
        Files.createDirectories(dataDir);
        for (String name : new String[] {LocalSecret.FILE_NAME, LocalSecret.ENCRYPTION_KEY_FILE}) {
            Files.writeString(dataDir.resolve(name), name.equals(LocalSecret.FILE_NAME) ? "a".repeat(64) : io.llmmetering.creditapi.openrouter.FernetCipher.generateKey());
            Files.setPosixFilePermissions(dataDir.resolve(name), PosixFilePermissions.fromString("rw-r--r--"));
        }
        assertThat(LocalSecret.jwtSecret(dataDir, Map.of())).isEqualTo("a".repeat(64));
        LocalSecret.encryptionKey(dataDir, Map.of());
        for (String name : new String[] {LocalSecret.FILE_NAME, LocalSecret.ENCRYPTION_KEY_FILE}) {
            assertThat(Files.getPosixFilePermissions(dataDir.resolve(name))).as(name).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void theEncryptionKeyIsAFernetKeyCreatedOnce() throws Exception {
        String key = LocalSecret.encryptionKey(dataDir, Map.of());
        assertThat(new io.llmmetering.creditapi.openrouter.FernetCipher(key).decrypt(
                new io.llmmetering.creditapi.openrouter.FernetCipher(key).encrypt("sk-or-v1-x"))).isEqualTo("sk-or-v1-x");
        assertThat(LocalSecret.encryptionKey(dataDir, Map.of())).isEqualTo(key);
    }

    @Test
    void wrongUsageExitsTwoWithTheUsage() {
        assertThat(run(Map.of(), "--admin", "--data-dir", dataDir.toString()).code()).isEqualTo(2);
        Run unknown = run(Map.of(), "--user", "a", "--root");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unknown option: '--root'", "Usage: metering-local token");
        assertThat(run(Map.of(), "--user").err()).contains("Missing required parameter for option '--user'");
        assertThat(run(Map.of(), "--help").out()).contains("Usage: metering-local token", "--ttl=DURATION");
        assertThat(run(Map.of(), "--user", "a", "--ttl", "366d").err()).contains("Invalid value for option '--ttl'", "at most 365d");
    }

    @Test
    void lifetimesAreBounded() {
        assertThat(TokenCommand.duration("8h")).isEqualTo(Duration.ofHours(8));
        assertThat(TokenCommand.duration("7d")).isEqualTo(Duration.ofDays(7));
        for (String bad : new String[]{"0m", "366d", "-1h", "1y", "PT1H", "", "9999999h"}) {
            assertThatThrownBy(() -> TokenCommand.duration(bad)).as(bad).isInstanceOf(picocli.CommandLine.TypeConversionException.class);
        }
    }
}
