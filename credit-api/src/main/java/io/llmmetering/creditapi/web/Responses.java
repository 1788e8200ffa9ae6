package io.llmmetering.creditapi.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import tools.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Answers as records, so the OpenAPI document describes them and clients can be generated from it. Component
 * order is wire order, names are written in snake case; money is an exact decimal. Fields only some answers carry
 * are left out when absent. Snake case does not split digits from letters, so the per-1K names are spelled out.
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

        static Receipt of(io.llmmetering.creditapi.accounts.LedgerReceipt receipt) {
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

    /** {@code POST /api/v1/credits/holds}; with the credit system off, only {@code hold_id} (null), allowed and the flag. */
    record Hold(String holdId, boolean allowed,
                @JsonInclude(JsonInclude.Include.NON_NULL) BigDecimal available,
                @JsonInclude(JsonInclude.Include.NON_NULL) BigDecimal amount,
                @JsonInclude(JsonInclude.Include.NON_NULL) String expiresAt,
                @JsonInclude(JsonInclude.Include.NON_NULL) String status,
                @JsonInclude(JsonInclude.Include.NON_NULL) Boolean replayed,
                @JsonInclude(JsonInclude.Include.NON_NULL) Boolean creditSystemEnabled) {

        static Hold unmetered() {
            return new Hold(null, true, null, null, null, null, null, false);
        }
    }

    record VoidedHold(String holdId, String status) {
    }

    /**
     * {@code GET /api/v1/credits/authorize}. {@code reason} is written as null when the call is allowed (an empty
     * Optional passes NON_NULL) and left out, like {@code available}, when the credit system is off (null).
     */
    record Authorization(boolean allowed,
                         @JsonInclude(JsonInclude.Include.NON_NULL) BigDecimal available,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Optional<String> reason,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Boolean creditSystemEnabled) {

        static Authorization unmetered() {
            return new Authorization(true, null, null, false);
        }
    }

    /** What the seed's troubleshooting prints: MODEL_PRICING, TIER_MARKUP, POWER_LEVELS and the formula. */
    record Pricing(String version, String unit, String formula, Map<String, ModelPricing> modelPricing, Map<String, BigDecimal> tierMarkup,
                   Map<String, BigDecimal> powerLevels) {
    }

    record ModelPricing(String provider, @JsonProperty("input_per_1k") BigDecimal inputPer1k,
                        @JsonProperty("output_per_1k") BigDecimal outputPer1k,
                        @JsonProperty("cached_input_per_1k") BigDecimal cachedInputPer1k,
                        @JsonProperty("blended_per_1k") BigDecimal blendedPer1k, List<String> aliases, String version) {
    }

    /** Usage in a range, grouped by {@code group_by}: rows keyed by model, provider, user or bucket start. */
    record Usage(String groupBy, String from, String to, UsageTotals totals, List<UsageRow> rows) {
    }

    record UsageTotals(long requests, long inputTokens, long outputTokens, BigDecimal cost) {
    }

    record UsageRow(String key, long requests, long inputTokens, long outputTokens, BigDecimal cost) {
    }

    /** An account's settings after an admin changed them (tier, monthly cap, suspension). */
    record AccountSettings(String userId, String tier, BigDecimal monthlyCap, String status) {
    }

    record Coupon(String id, String code, String discountType, BigDecimal discountValue, Integer maxUses, long timesUsed, String expiresAt,
                  @JsonProperty("is_active") boolean isActive, String description, String createdAt) {
    }

    record Coupons(List<Coupon> coupons) {
    }

    /** The only answer that shows an ingest key in full. */
    record CreatedIngestKey(String id, String key, String name, String source, String litellmAccount, String createdAt, String note) {
    }

    /** An ingest key as listed: its prefix only. */
    record IngestKey(String id, String key, String name, String source, String litellmAccount, String createdBy, String createdAt, String lastUsedAt,
                     String revokedAt) {
    }

    record IngestKeys(List<IngestKey> ingestKeys) {
    }

    record PublishedPrice(String model, String version, String effectiveFrom, String previousVersionKnownHere) {
    }

    /** {@code POST /api/v1/admin/pricing/import}: version and effective_from only when something was published. */
    record PriceImport(String format, boolean dryRun, List<ImportedPrice> added, List<ImportedChange> changed, int unchanged,
                       List<ImportSkipped> skipped,
                       @JsonInclude(JsonInclude.Include.NON_NULL) String version,
                       @JsonInclude(JsonInclude.Include.NON_NULL) String effectiveFrom,
                       int published) {
    }

    record ImportedPrice(String model, String provider, @JsonProperty("input_per_1k") BigDecimal inputPer1k,
                         @JsonProperty("output_per_1k") BigDecimal outputPer1k,
                         @JsonProperty("cached_input_per_1k") BigDecimal cachedInputPer1k) {
    }

    record ImportedChange(String model, ImportedPrice before, ImportedPrice after) {
    }

    record ImportSkipped(String model, String reason, String detail) {
    }

    /** The API key is masked: the stored key is encrypted and never answered. */
    record OpenRouterAccount(String id, String userId, String apiKey, String label, BigDecimal creditLimit, BigDecimal providerReportedUsage,
                             String status, String lastSyncedAt, String createdAt, String updatedAt) {
    }

    record Reconciliation(String from, String to, int accounts, int eventsChecked, int matched, List<CostMismatch> costMismatches,
                          List<MissingAtProvider> missingAtProvider, List<MissingInLedger> missingInLedger, List<String> errors,
                          boolean truncated) {
    }

    record CostMismatch(String userId, String requestId, String model, BigDecimal ourCost, String ourCostBeforeMarkup, String providerCost) {
    }

    record MissingAtProvider(String userId, String requestId) {
    }

    record MissingInLedger(String userId, String date, String model, long providerRequests, long ourRequests) {
    }

    /** {@code GET /api/v1/system/status}: answered with 503 when PostgreSQL is down. */
    /** Anyone sees {@code status}; the version and the components only an admin. */
    record SystemStatus(String status, String service, @JsonInclude(JsonInclude.Include.NON_NULL) String version, boolean creditSystemEnabled,
                        @JsonInclude(JsonInclude.Include.NON_NULL) Components components) {
    }

    record Components(Component postgresql, Component redis, KafkaComponent kafka, ApplierComponent debitApplier) {
    }

    record Component(String status, @JsonInclude(JsonInclude.Include.NON_NULL) String version) {

        static Component of(boolean up) {
            return new Component(up ? "up" : "down", null);
        }
    }

    /** {@code brokers} is left out when the cluster could not be described. */
    record KafkaComponent(@JsonInclude(JsonInclude.Include.NON_NULL) Integer brokers, String status) {
    }

    /** {@code lag} is null when PostgreSQL, which holds the applied offsets, is down. */
    record ApplierComponent(String consumerGroup, Long lag, long deadLettered,
                            @JsonInclude(JsonInclude.Include.NON_NULL) List<Integer> stalledPartitions) {
    }
}
