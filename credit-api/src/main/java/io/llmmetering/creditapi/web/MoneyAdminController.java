package io.llmmetering.creditapi.web;

import io.llmmetering.creditapi.accounts.CreditLedger;
import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.http.MediaType;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import java.math.BigDecimal;
import java.sql.SQLException;

/**
 * Money in and out by admins, each one ledger row of its type: a purchase (a payment bought credits), a refund (part
 * of a purchase goes back to the payer) and an adjustment (a correction either way, with its reason).
 */
@RestController
@Tag(name = "Accounts")
final class MoneyAdminController {

    private final CreditLedger ledger;

    MoneyAdminController(CreditLedger ledger) {
        this.ledger = ledger;
    }

    record PurchaseRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String userId, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) BigDecimal amount, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String externalReference, String reason) {
    }

    /** Idempotent on {@code external_reference} (the payment's id at the payment provider), not on a header. */
    @Operation(operationId = "recordPurchase", summary = "credit what a payment bought; idempotent on external_reference")
    @PostMapping(path = "/api/v1/admin/credits/purchase", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.Receipt purchase(@AuthenticationPrincipal Jwt admin, @RequestBody PurchaseRequest request) throws SQLException {
        String reference = Inputs.key("external_reference", request.externalReference());
        return Responses.Receipt.of(ledger.purchase(Inputs.userId("user_id", request.userId()), Inputs.positiveAmount("amount", request.amount()),
                reference, Inputs.optionalText("reason", request.reason(), 1000).orElse("purchase " + reference), admin.getSubject()));
    }

    record RefundRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String userId, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) BigDecimal amount, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String externalReference, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String reason) {
    }

    @Operation(operationId = "refundPurchase", summary = "return part of a purchase to the payer (debits the account); Idempotency-Key")
    @PostMapping(path = "/api/v1/admin/credits/refund", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.Receipt refund(@AuthenticationPrincipal Jwt admin, @RequestBody RefundRequest request,
                             @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) throws SQLException {
        return Responses.Receipt.of(ledger.refund(Inputs.userId("user_id", request.userId()), Inputs.positiveAmount("amount", request.amount()),
                Inputs.key("external_reference", request.externalReference()), Inputs.requiredText("reason", request.reason(), 1000),
                admin.getSubject(), Inputs.idempotencyKey(idempotencyKey)));
    }

    record AdjustmentRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String userId, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) BigDecimal amount, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String reason) {
    }

    @Operation(operationId = "adjustBalance", summary = "correct a balance either way, with a reason; Idempotency-Key")
    @PostMapping(path = "/api/v1/admin/credits/adjust", consumes = MediaType.APPLICATION_JSON_VALUE)
    Responses.Receipt adjust(@AuthenticationPrincipal Jwt admin, @RequestBody AdjustmentRequest request,
                             @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) throws SQLException {
        return Responses.Receipt.of(ledger.adjust(Inputs.userId("user_id", request.userId()), Inputs.nonZeroAmount("amount", request.amount()),
                Inputs.requiredText("reason", request.reason(), 1000), admin.getSubject(), Inputs.idempotencyKey(idempotencyKey)));
    }
}
