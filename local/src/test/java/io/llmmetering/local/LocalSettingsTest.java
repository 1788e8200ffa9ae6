package io.llmmetering.local;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalSettingsTest {

    @Test
    void defaultsRunOnTheDocumentedPortsAndTheLocalServers() {
        LocalSettings settings = LocalCommand.settings(new String[0], Map.of());
        assertThat(settings.apiPort()).isEqualTo(8084);
        assertThat(settings.ingestPort()).isEqualTo(8085);
        assertThat(settings.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(settings.controllerPort()).isEqualTo(9093);
        assertThat(settings.databaseUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/metering");
        assertThat(settings.dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(settings.demo()).isFalse();
    }

    @Test
    void optionsAndEnvironmentOverrideTheDefaults() {
        LocalSettings settings = LocalCommand.settings(new String[]{"--api-port", "9084", "--demo", "--events", "500", "--kafka-port", "19092"},
                Map.of("METERING_DB_URL", "jdbc:postgresql://db:5432/x"));
        assertThat(settings.apiPort()).isEqualTo(9084);
        assertThat(settings.demo()).isTrue();
        assertThat(settings.demoEvents()).isEqualTo(500);
        assertThat(settings.controllerPort()).isEqualTo(19093);
        assertThat(settings.databaseUrl()).isEqualTo("jdbc:postgresql://db:5432/x");
        assertThat(settings.priceBook()).isEmpty();
        assertThat(LocalCommand.settings(new String[]{"--prices", "prices.json"}, Map.of()).priceBook())
                .hasValueSatisfying(file -> assertThat(file.isAbsolute() && file.getFileName().toString().equals("prices.json")).isTrue());
    }

    @Test
    void aWrongValueSaysWhichOption() {
        assertThatThrownBy(() -> LocalCommand.settings(new String[]{"--api-port", "eighty"}, Map.of()))
                .hasMessageContaining("--api-port");
        assertThatThrownBy(() -> LocalCommand.settings(new String[]{"--ingest-port", "70000"}, Map.of()))
                .hasMessageContaining("--ingest-port");
        assertThatThrownBy(() -> LocalCommand.settings(new String[]{"--events", "0"}, Map.of())).hasMessageContaining("--events");
        assertThatThrownBy(() -> LocalCommand.settings(new String[]{"--colour", "blue"}, Map.of())).hasMessageContaining("Unknown options: '--colour'");
        assertThatThrownBy(() -> LocalCommand.settings(new String[]{"--db-url"}, Map.of())).hasMessageContaining("Missing required parameter for option '--db-url'");
    }
}
