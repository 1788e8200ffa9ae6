package io.llmmetering.creditapi.applier;

import io.llmmetering.schemas.Debit;

/** One debit as the ledger stores it: the charge for one usage event, in nano-credits. */
public record LedgerDebit(String eventId, String userId, long amountNanos, String model, String provider,
                          long inputTokens, long outputTokens, long cachedInputTokens, String powerLevel, String tier,
                          long occurredAtMillis, long pricedAtMillis, String priceVersion, String source) {

    public LedgerDebit {
        if (amountNanos < 0) {
            throw new IllegalArgumentException("debit " + eventId + " has a negative amount " + amountNanos);
        }
    }

    public static LedgerDebit from(Debit debit) {
        return new LedgerDebit(debit.getEventId(), debit.getUserId(), debit.getAmountNanos(), debit.getModel(),
                debit.getProvider(), debit.getInputTokens(), debit.getOutputTokens(), debit.getCachedInputTokens(),
                debit.getPowerLevel(), debit.getTier(), debit.getOccurredAt().toEpochMilli(), debit.getPricedAt().toEpochMilli(),
                debit.getPriceVersion(), debit.getSource());
    }
}
