package io.llmmetering.creditapi.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.List;

/**
 * Answers as records, so the OpenAPI document describes them and clients can be generated from it. Component
 * order is wire order, names are written in snake case; money is an exact decimal. Fields only some answers carry
 * are left out when absent.
 */
final class Responses {

    private Responses() {
    }

    /** {@code GET /api/v1/credits/balance} and the admin's view of any account. */
    record Balance(BigDecimal balance, String tier, BigDecimal monthlyCap, BigDecimal monthToDateSpend, String status,
                   String spendBlockedReason, BigDecimal held, BigDecimal available) {
    }

    /** A balance change: deduct, allocation, redemption (with the coupon's amount and code). */
    record Receipt(BigDecimal newBalance, String transactionId,
                   @JsonInclude(JsonInclude.Include.NON_NULL) Boolean replayed,
                   @JsonInclude(JsonInclude.Include.NON_NULL) BigDecimal amount,
                   @JsonInclude(JsonInclude.Include.NON_NULL) String code,
                   @JsonInclude(JsonInclude.Include.NON_NULL) Boolean creditSystemEnabled,
                   @JsonInclude(JsonInclude.Include.NON_NULL) String detail) {

        static Receipt of(io.llmmetering.creditapi.accounts.Receipt receipt) {
            return new Receipt(Inputs.amount(receipt.newBalance()), receipt.transactionId().toString(), receipt.replayed() ? true : null,
                    null, null, null, null);
        }

        Receipt withCoupon(BigDecimal couponAmount, String couponCode) {
            return new Receipt(newBalance, transactionId, replayed, couponAmount, couponCode, creditSystemEnabled, detail);
        }
    }

    record Cost(BigDecimal cost) {
    }

    record Transaction(String id, String transactionType, BigDecimal amount, BigDecimal balanceAfter, String reason, String provider,
                       String model, Long tokensUsed, String powerLevel, int eventCount, JsonNode metadata, String createdAt) {
    }

    record Transactions(List<Transaction> transactions, String nextCursor) {
    }
}
