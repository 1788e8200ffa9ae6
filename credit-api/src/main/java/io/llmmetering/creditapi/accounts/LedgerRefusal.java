package io.llmmetering.creditapi.accounts;

/** An account operation the ledger refused, with the reason a client can act on. Nothing was changed. */
public final class LedgerRefusal extends RuntimeException {

    public enum Reason {
        INSUFFICIENT_CREDITS, MONTHLY_CAP_REACHED, ACCOUNT_SUSPENDED, IDEMPOTENCY_KEY_REUSED,
        COUPON_NOT_FOUND, COUPON_INACTIVE, COUPON_EXPIRED, COUPON_EXHAUSTED, COUPON_ALREADY_REDEEMED, NOTHING_TO_DISCOUNT,
        ACCOUNT_NOT_FOUND, EXTERNAL_REFERENCE_REUSED, PURCHASE_NOT_FOUND, REFUND_EXCEEDS_PURCHASE, EXCEEDS_AVAILABLE_BALANCE
    }

    private final Reason reason;

    public LedgerRefusal(Reason reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
