package io.llmmetering.migrations;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatabaseTargetTest {

    @Test
    void readsTheDatabaseNameFromTheUrl() {
        assertThat(new DatabaseTarget("jdbc:postgresql://127.0.0.1:5432/metering?sslmode=disable", "postgres", null).databaseName())
                .isEqualTo("metering");
    }

    @Test
    void maintenanceDatabaseIsPostgresOnTheSameServerWithTheSameOptions() {
        DatabaseTarget target = new DatabaseTarget("jdbc:postgresql://db.internal:6543/metering?sslmode=require", "admin", "pw");
        assertThat(target.maintenanceDatabase().jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6543/postgres?sslmode=require");
        assertThat(target.maintenanceDatabase().password()).isEqualTo("pw");
    }

    @Test
    @Tag("security")
    void aDatabaseNameThatIsNotAPlainIdentifierIsRefusedBeforeAnySqlIsBuilt() {
        DatabaseTarget hostile = new DatabaseTarget("jdbc:postgresql://127.0.0.1:5432/x%22;DROP%20DATABASE%20postgres;--", "postgres", "");
        assertThatThrownBy(hostile::databaseName).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("letters, digits and '_'");
    }

    @Test
    void onlyPostgresqlUrlsAreAccepted() {
        assertThatThrownBy(() -> new DatabaseTarget("jdbc:mysql://127.0.0.1/x", "root", ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jdbc:postgresql://");
    }

    @Test
    @Tag("security")
    void thePasswordNeverAppearsInTheTextOfATarget() {
        assertThat(new DatabaseTarget("jdbc:postgresql://h/db", "u", "s3cret-pw").toString()).doesNotContain("s3cret-pw");
    }

    /** The backup must reach the database the migration runs on, whatever the URL looks like. */
    @Test
    void aHostWithAnUnderscoreSeveralHostsAndTheTlsSettingsReachTheBackupTools() {
        DatabaseTarget target = new DatabaseTarget(
                "jdbc:postgresql://pg_primary.internal:5433,pg_replica.internal:5433/metering?sslmode=verify-full&sslrootcert=/etc/ca.pem"
                        + "&targetServerType=primary&connectTimeout=5&password=hunter2&loggerLevel=OFF", "migrator", "hunter2");

        assertThat(target.databaseName()).isEqualTo("metering");
        assertThat(target.libpqUri()).isEqualTo("postgresql://pg_primary.internal:5433,pg_replica.internal:5433/metering?user=migrator"
                + "&sslmode=verify-full&sslrootcert=/etc/ca.pem&target_session_attrs=read-write&connect_timeout=5");
        assertThat(target.maintenanceDatabase().jdbcUrl()).startsWith("jdbc:postgresql://pg_primary.internal:5433,pg_replica.internal:5433/postgres?");
    }

    @Test
    void nothingPrintedHoldsThePassword() {
        DatabaseTarget target = new DatabaseTarget("jdbc:postgresql://db:5432/metering?user=m&password=hunter2", "m", "hunter2");
        assertThat(target.printableUrl()).doesNotContain("hunter2").contains("password=(hidden)");
        assertThat(target.toString()).doesNotContain("hunter2");
        assertThat(target.libpqUri()).doesNotContain("hunter2");
    }

    @Test
    void sslTrueWithoutAModeAsksForTls() {
        assertThat(new DatabaseTarget("jdbc:postgresql://db/metering?ssl=true", "m", "").libpqUri())
                .isEqualTo("postgresql://db/metering?user=m&sslmode=require");
    }
}
