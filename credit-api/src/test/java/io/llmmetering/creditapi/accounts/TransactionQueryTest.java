package io.llmmetering.creditapi.accounts;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransactionQueryTest {

    @Test
    void aCursorRoundTripsToTheMicrosecondPostgreSqlKeeps() {
        TransactionQuery.Position position = new TransactionQuery.Position(Instant.parse("2026-11-25T10:15:30.123456789Z"), UUID.randomUUID());
        TransactionQuery.Position read = TransactionQuery.Position.ofCursor(position.cursor());
        assertThat(read).isEqualTo(position);
        assertThat(read.createdAt()).isEqualTo(Instant.parse("2026-11-25T10:15:30.123456Z"));
    }

    @Test
    void aCursorThisApiDidNotWriteIsRefused() {
        for (String bad : new String[]{"", "not-base64!", "bm90LWEtY3Vyc29y", "MTIzOm5vdC1hLXV1aWQ", "x".repeat(101), "OjEyMw"}) {
            assertThatThrownBy(() -> TransactionQuery.Position.ofCursor(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void limitsAndTimeRangesAreChecked() {
        Instant now = Instant.now();
        assertThatThrownBy(() -> new TransactionQuery(0, Optional.empty(), Instant.EPOCH, now, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TransactionQuery(TransactionQuery.MAX_LIMIT + 1, Optional.empty(), Instant.EPOCH, now, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TransactionQuery(10, Optional.empty(), now, now, Optional.empty())).isInstanceOf(IllegalArgumentException.class);
    }
}
