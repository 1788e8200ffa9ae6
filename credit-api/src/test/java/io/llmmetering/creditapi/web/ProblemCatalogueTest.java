package io.llmmetering.creditapi.web;

import io.llmmetering.core.problems.ProblemType;
import io.llmmetering.creditapi.accounts.LedgerRefusal;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The one catalogue of problem types: every ledger refusal is in it, and the API reference lists all of it. */
class ProblemCatalogueTest {

    @Test
    void everyLedgerRefusalIsATypeOfTheCatalogueWithAPaymentNotFoundGoneOrConflictStatus() {
        for (LedgerRefusal.Reason reason : LedgerRefusal.Reason.values()) {
            ProblemType type = ProblemType.valueOf(reason.name());
            assertThat(type.status()).as(reason.name()).isIn(402, 404, 409, 410);
        }
    }

    @Test
    void theApiReferenceListsEveryType() throws Exception {
        String reference = Files.readString(Path.of("..", "docs", "api-reference.md"));
        for (ProblemType type : ProblemType.values()) {
            assertThat(reference).as(type.code()).contains("`" + type.code() + "`");
        }
    }
}
