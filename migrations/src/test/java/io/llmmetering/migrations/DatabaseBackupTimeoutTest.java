package io.llmmetering.migrations;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The backup's time limit fires: reading the tool's output to its end used to wait as long as the tool ran. */
class DatabaseBackupTimeoutTest {

    @Test
    void aBackupToolThatHangsIsStoppedAtTheTimeLimit(@TempDir Path dir) throws Exception {
        Path tools = Files.createDirectories(dir.resolve("bin"));
        for (String tool : DatabaseBackup.TOOLS) {
            Path script = tools.resolve(tool);
            Files.writeString(script, "#!/bin/sh\necho started\nexec sleep 60\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        DatabaseBackup backup = new DatabaseBackup(new DatabaseTarget(DatabaseTarget.DEFAULT_URL, "postgres", ""),
                Map.of("PATH", tools + ":/usr/bin:/bin"), Duration.ofSeconds(1));
        long started = System.nanoTime();

        assertThatThrownBy(() -> backup.dump(dir.resolve("backups"), "test", Instant.now()))
                .isInstanceOf(DatabaseBackup.BackupException.class).hasMessageContaining("did not finish within");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
    }
}
