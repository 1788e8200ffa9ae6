package io.llmmetering.creditapi.web;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.openrouter.OpenRouterAccounts;
import io.llmmetering.creditapi.openrouter.Reconciliation;
import io.llmmetering.core.problems.ProblemType;
import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** OpenRouter accounts (admins register, rotate and revoke; users see their own, masked) and reconciliation. */
@RestController
@Tag(name = "OpenRouter")
final class OpenRouterController {

    private final ObjectProvider<OpenRouterAccounts> accounts;
    private final ObjectProvider<Reconciliation> reconciliation;

    OpenRouterController(ObjectProvider<OpenRouterAccounts> accounts, ObjectProvider<Reconciliation> reconciliation) {
        this.accounts = accounts;
        this.reconciliation = reconciliation;
    }

    private OpenRouterAccounts accounts() {
        OpenRouterAccounts available = accounts.getIfAvailable();
        if (available == null) {
            throw new ApiProblem(ProblemType.ENCRYPTION_KEY_MISSING,
                    "OpenRouter keys are stored encrypted: set ENCRYPTION_KEY (a Fernet key) to use these endpoints");
        }
        return available;
    }

    @Operation(operationId = "getMyOpenRouterAccount", summary = "the caller's OpenRouter account, key masked")
    @GetMapping("/api/v1/openrouter/account")
    Responses.OpenRouterAccount own(@AuthenticationPrincipal Jwt caller) throws SQLException {
        return view(accounts().find(caller.getSubject()).orElseThrow(() -> ApiProblem.notFound("no OpenRouter account is registered")));
    }

    record AccountRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String apiKey, String label, BigDecimal creditLimit) {
    }

    /** Registers a key, or rotates it when the user has one. */
    @Operation(operationId = "setOpenRouterAccount", summary = "register or rotate a user's OpenRouter key")
    @PutMapping(path = "/api/v1/admin/users/{userId}/openrouter-account", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.OpenRouterAccount register(@PathVariable String userId, @RequestBody AccountRequest request) throws SQLException {
        String key = request.apiKey();
        if (key == null || !key.matches("[\\x21-\\x7e]{8,500}")) {
            throw ApiProblem.validation("api_key", "api_key must be 8-500 visible ASCII characters");
        }
        Optional<Credits> limit = request.creditLimit() == null ? Optional.empty() : Optional.of(Inputs.positiveAmount("credit_limit", request.creditLimit()));
        return view(accounts().register(Inputs.userId("user_id", userId), key, Inputs.optionalText("label", request.label(), 200), limit));
    }

    @Operation(operationId = "getOpenRouterAccount", summary = "the account, key masked")
    @GetMapping("/api/v1/admin/users/{userId}/openrouter-account")
    Responses.OpenRouterAccount read(@PathVariable String userId) throws SQLException {
        return view(accounts().find(Inputs.userId("user_id", userId)).orElseThrow(() -> ApiProblem.notFound("no OpenRouter account is registered")));
    }

    @Operation(operationId = "revokeOpenRouterAccount", summary = "revoke it")
    @DeleteMapping("/api/v1/admin/users/{userId}/openrouter-account")
    ResponseEntity<Void> revoke(@PathVariable String userId) throws SQLException {
        if (!accounts().revoke(Inputs.userId("user_id", userId))) {
            throw ApiProblem.notFound("no OpenRouter account is registered");
        }
        return ResponseEntity.noContent().build();
    }

    @Operation(operationId = "reconcileOpenRouter", summary = "compare OpenRouter's reported usage with the ledger")
    @PostMapping("/api/v1/admin/reconciliation/openrouter")
    Responses.Reconciliation reconcile(@RequestParam String from, @RequestParam String to) throws SQLException {
        accounts();
        Reconciliation.Report report;
        try {
            report = reconciliation.getObject().run(Instant.parse(from), Instant.parse(to));
        } catch (DateTimeParseException e) {
            throw ApiProblem.validation("from", "from and to must be ISO-8601 instants such as 2026-11-01T00:00:00Z");
        } catch (IllegalArgumentException e) {
            throw ApiProblem.validation("from", e.getMessage());
        }
        return new Responses.Reconciliation(report.from().toString(), report.to().toString(), report.accounts(), report.eventsChecked(),
                report.matched(),
                report.costMismatches().stream().map(m -> new Responses.CostMismatch(m.userId(), m.requestId(), m.model(),
                        Inputs.amount(m.ourCost()), m.ourBaseCost().stripTrailingZeros().toPlainString(),
                        m.providerCost().stripTrailingZeros().toPlainString())).toList(),
                report.missingAtProvider().stream().map(m -> new Responses.MissingAtProvider(m.userId(), m.requestId())).toList(),
                report.missingInLedger().stream().map(m -> new Responses.MissingInLedger(m.userId(), m.date().toString(), m.model(),
                        m.providerRequests(), m.ourRequests())).toList(),
                report.errors(), report.truncated());
    }

    private static Responses.OpenRouterAccount view(OpenRouterAccounts.Account account) {
        return new Responses.OpenRouterAccount(account.id().toString(), account.userId(), account.maskedKey(), account.label().orElse(null),
                account.creditLimit().map(Inputs::amount).orElse(null), Inputs.amount(account.providerReportedUsage()), account.status(),
                account.lastSyncedAt().map(Instant::toString).orElse(null), account.createdAt().toString(), account.updatedAt().toString());
    }
}
