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
}
