package io.llmmetering.creditapi.spending;

import io.llmmetering.creditapi.accounts.LedgerRefusal;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The worker of a batch queue: a refusal reaches its caller only, and no failure stops the worker or strands a caller. */
class RequestBatchesTest {

    @Test
    void aRefusalIsThrownToItsCallerAndTheOthersGetTheirAnswers() throws SQLException {
        try (RequestBatches<String> batches = new RequestBatches<>("test.refusal", 10, requests -> requests.stream()
                .<Object>map(r -> r.equals("no") ? new LedgerRefusal(LedgerRefusal.Reason.INSUFFICIENT_CREDITS, "no") : r + "!").toList(),
                new SimpleMeterRegistry())) {
            assertThat(batches.submit("yes")).isEqualTo("yes!");
            assertThatThrownBy(() -> batches.submit("no")).isInstanceOf(LedgerRefusal.class);
        }
    }

    @Test
    void aBatchThatFailsIsAppliedOneByOneAndOnlyTheFailingRequestFails() throws SQLException {
        try (RequestBatches<String> batches = new RequestBatches<>("test.isolation", 10, requests -> {
            if (requests.contains("bad")) {
                throw new SQLException("refused", "23514");
            }
            return List.copyOf(requests);
        }, new SimpleMeterRegistry())) {
            assertThatThrownBy(() -> batches.submit("bad")).isInstanceOf(SQLException.class).hasMessage("refused");
            assertThat(batches.submit("good")).isEqualTo("good");
        }
    }

    @Test
    void anErrorOutsidePostgresqlFailsItsBatchButNotTheWorker() throws SQLException {
        try (RequestBatches<String> batches = new RequestBatches<>("test.error", 10, requests -> {
            if (requests.contains("fatal")) {
                throw new StackOverflowError("deep");
            }
            return List.copyOf(requests);
        }, new SimpleMeterRegistry())) {
            assertThatThrownBy(() -> batches.submit("fatal")).isInstanceOf(IllegalStateException.class).hasCauseInstanceOf(StackOverflowError.class);
            assertThat(batches.submit("after")).isEqualTo("after");
        }
    }
}
