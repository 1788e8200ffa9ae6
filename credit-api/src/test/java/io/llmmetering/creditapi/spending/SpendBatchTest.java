package io.llmmetering.creditapi.spending;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.accounts.LedgerRefusal;
import io.llmmetering.creditapi.accounts.LedgerReceipt;
import io.llmmetering.creditapi.accounts.SpendableAccount;
import io.llmmetering.creditapi.accounts.UsageDetails;
import io.llmmetering.creditapi.holds.SpendHolds;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** A batch judged in arrival order, as the same requests would be judged one transaction after another. */
class SpendBatchTest {

    private static final Duration TTL = Duration.ofMinutes(10);
    private final AtomicLong next = new AtomicLong();
    private final Supplier<UUID> ids = () -> new UUID(0, next.incrementAndGet());

    private static SpendableAccount account(String balance) {
        return new SpendableAccount(Credits.parse(balance), Credits.ZERO, "active", Optional.empty(), Credits.ZERO, 7);
    }

    private static SpendRequest.PlaceHold hold(String user, String requestId, String estimate) {
        return new SpendRequest.PlaceHold(user, requestId, Credits.parse(estimate), TTL, "proxy");
    }

    private static SpendRequest.Deduct deduct(String user, String amount, String key) {
        return new SpendRequest.Deduct(user, Credits.parse(amount), "API deduction", UsageDetails.none(), Optional.ofNullable(key));
    }

    private static SpendBatch.Stored stored(Map<String, SpendableAccount> accounts) {
        return new SpendBatch.Stored(accounts, List.of(), Map.of());
    }

    private static LedgerRefusal.Reason refusal(Object answer) {
        assertThat(answer).isInstanceOf(LedgerRefusal.class);
        return ((LedgerRefusal) answer).reason();
    }

    @Test
    void aRefusedHoldReservesNothingSoALaterSmallerOneStillFits() {
        SpendBatch.Decisions decisions = SpendBatch.decide(List.of(hold("a", "r1", "0.6"), hold("a", "r2", "0.6"), hold("a", "r3", "0.3")),
                stored(Map.of("a", account("1.00"))), ids);

        assertThat(decisions.answers().get(0)).isInstanceOf(SpendHolds.Hold.class);
        assertThat(((SpendHolds.Hold) decisions.answers().get(0)).available()).isEqualTo(Credits.parse("0.4"));
        assertThat(refusal(decisions.answers().get(1))).isEqualTo(LedgerRefusal.Reason.INSUFFICIENT_CREDITS);
        assertThat(((LedgerRefusal) decisions.answers().get(1)).getMessage())
                .isEqualTo("available 0.4 (balance minus active holds) is less than the estimate 0.6");
        assertThat(((SpendHolds.Hold) decisions.answers().get(2)).available()).isEqualTo(Credits.parse("0.1"));
        assertThat(decisions.holds()).extracting(SpendBatch.NewHold::requestId).containsExactly("r1", "r3");
        assertThat(decisions.accounts()).singleElement().satisfies(change -> {
            assertThat(change.heldChange()).isEqualTo(Credits.parse("0.9"));
            assertThat(change.spent()).isEqualTo(Credits.ZERO);
            assertThat(change.versions()).isZero();
        });
    }

    @Test
    void fiftyHoldsOfTwoCentsFitInOneCreditAndTheRestAreRefused() {
        List<SpendRequest> requests = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            requests.add(hold("a", "r" + i, "0.02"));
        }
        SpendBatch.Decisions decisions = SpendBatch.decide(requests, stored(Map.of("a", account("1.00"))), ids);

        assertThat(decisions.holds()).hasSize(50);
        assertThat(decisions.answers().subList(50, 200)).allSatisfy(answer -> assertThat(refusal(answer))
                .isEqualTo(LedgerRefusal.Reason.INSUFFICIENT_CREDITS));
        assertThat(decisions.accounts().get(0).after().available()).isEqualTo(Credits.ZERO);
    }

    @Test
    void aRequestIdSeenEarlierInTheBatchIsAReplayOrAReuse() {
        SpendBatch.Decisions decisions = SpendBatch.decide(List.of(hold("a", "r1", "0.2"), hold("a", "r1", "0.2"), hold("a", "r1", "0.3")),
                stored(Map.of("a", account("1.00"))), ids);

        SpendHolds.Hold first = (SpendHolds.Hold) decisions.answers().get(0);
        SpendHolds.Hold replay = (SpendHolds.Hold) decisions.answers().get(1);
        assertThat(replay.replayed()).isTrue();
        assertThat(replay.id()).isEqualTo(first.id());
        assertThat(replay.available()).isEqualTo(Credits.parse("0.8"));
        assertThat(refusal(decisions.answers().get(2))).isEqualTo(LedgerRefusal.Reason.IDEMPOTENCY_KEY_REUSED);
        assertThat(decisions.holds()).hasSize(1);
    }

    @Test
    void aStoredHoldIsReplayedAsItStandsWithWhatTheAccountMayStillSpend() {
        UUID id = UUID.randomUUID();
        Instant expires = Instant.parse("2026-12-03T12:00:00Z");
        SpendBatch.Stored stored = new SpendBatch.Stored(Map.of("a", account("1.00").holding(Credits.parse("0.25"))),
                List.of(new SpendBatch.StoredHold(id, "a", "r1", Credits.parse("0.25"), "settled", expires)), Map.of());

        SpendBatch.Decisions decisions = SpendBatch.decide(List.of(hold("a", "r1", "0.25")), stored, ids);

        assertThat(decisions.answers().get(0)).isEqualTo(new SpendHolds.Hold(id, "a", "r1", Credits.parse("0.25"), "settled", expires,
                Credits.parse("0.75"), true));
        assertThat(decisions.writesNothing()).isTrue();
    }

    @Test
    void aVoidFreesItsAmountForTheHoldsAfterIt() {
        UUID id = UUID.randomUUID();
        SpendBatch.Stored stored = new SpendBatch.Stored(Map.of("a", account("1.00").holding(Credits.parse("1.00"))),
                List.of(new SpendBatch.StoredHold(id, "a", "r0", Credits.parse("1.00"), "active", Instant.now())), Map.of());

        SpendBatch.Decisions decisions = SpendBatch.decide(List.of(hold("a", "r1", "0.5"), new SpendRequest.VoidHold(id, "a"),
                hold("a", "r2", "0.5"), new SpendRequest.VoidHold(id, "a")), stored, ids);

        assertThat(refusal(decisions.answers().get(0))).isEqualTo(LedgerRefusal.Reason.INSUFFICIENT_CREDITS);
        assertThat(decisions.answers().get(1)).isEqualTo("voided");
        assertThat(decisions.answers().get(2)).isInstanceOf(SpendHolds.Hold.class);
        assertThat(decisions.answers().get(3)).isEqualTo("voided");
        assertThat(decisions.voided()).containsExactly(id);
        assertThat(decisions.accounts().get(0).heldChange()).isEqualTo(Credits.parse("-0.5"));
    }

    @Test
    void aHoldThatIsNoLongerActiveIsNotVoidedAgain() {
        UUID id = UUID.randomUUID();
        SpendBatch.Stored stored = new SpendBatch.Stored(Map.of("a", account("1.00")),
                List.of(new SpendBatch.StoredHold(id, "a", "r0", Credits.parse("0.3"), "expired", Instant.now())), Map.of());

        SpendBatch.Decisions decisions = SpendBatch.decide(List.of(new SpendRequest.VoidHold(id, "a")), stored, ids);

        assertThat(decisions.answers()).containsExactly("expired");
        assertThat(decisions.writesNothing()).isTrue();
        assertThat(decisions.accounts()).isEmpty();
    }

    @Test
    void aPlacedAndAVoidedHoldOfOneAmountAreBothWrittenThoughTheAccountIsUnchanged() {
        UUID id = UUID.randomUUID();
        SpendBatch.Stored stored = new SpendBatch.Stored(Map.of("a", account("1.00").holding(Credits.parse("0.3"))),
                List.of(new SpendBatch.StoredHold(id, "a", "r0", Credits.parse("0.3"), "active", Instant.now())), Map.of());

        SpendBatch.Decisions decisions = SpendBatch.decide(List.of(new SpendRequest.VoidHold(id, "a"), hold("a", "r1", "0.3")), stored, ids);

        assertThat(decisions.writesNothing()).isFalse();
        assertThat(decisions.accounts()).isEmpty();
        assertThat(decisions.holds()).hasSize(1);
        assertThat(decisions.voided()).containsExactly(id);
    }

    @Test
    void deductsChargeInOrderEachWithItsBalanceAfterAndVersion() {
        SpendBatch.Decisions decisions = SpendBatch.decide(List.of(deduct("a", "0.4", null), deduct("a", "0.4", null), deduct("a", "0.4", null)),
                stored(Map.of("a", account("1.00"))), ids);

        assertThat(((LedgerReceipt) decisions.answers().get(0)).newBalance()).isEqualTo(Credits.parse("0.6"));
        assertThat(((LedgerReceipt) decisions.answers().get(0)).balanceVersion()).isEqualTo(8);
        assertThat(((LedgerReceipt) decisions.answers().get(1)).newBalance()).isEqualTo(Credits.parse("0.2"));
        assertThat(((LedgerReceipt) decisions.answers().get(1)).balanceVersion()).isEqualTo(9);
        assertThat(refusal(decisions.answers().get(2))).isEqualTo(LedgerRefusal.Reason.INSUFFICIENT_CREDITS);
        assertThat(((LedgerRefusal) decisions.answers().get(2)).getMessage())
                .isEqualTo("balance 0.2 is less than the amount 0.4");
        assertThat(decisions.deducts()).extracting(SpendBatch.NewDeduct::balanceAfter)
                .containsExactly(Credits.parse("0.6"), Credits.parse("0.2"));
        assertThat(decisions.deducts()).extracting(SpendBatch.NewDeduct::amount).containsOnly(Credits.parse("-0.4"));
        SpendBatch.AccountChange change = decisions.accounts().get(0);
        assertThat(change.spent()).isEqualTo(Credits.parse("0.8"));
        assertThat(change.versions()).isEqualTo(2);
        assertThat(change.after().monthToDateSpend()).isEqualTo(Credits.parse("0.8"));
    }

    @Test
    void theMonthlyCapCountsHoldsAndTheSpendOfTheBatchBeforeIt() {
        SpendableAccount capped = new SpendableAccount(Credits.parse("100"), Credits.ZERO, "active", Optional.of(Credits.parse("1.00")),
                Credits.parse("0.5"), 1);

        SpendBatch.Decisions decisions = SpendBatch.decide(List.of(hold("a", "r1", "0.3"), deduct("a", "0.2", null), deduct("a", "0.01", null),
                hold("a", "r2", "0.01")), stored(Map.of("a", capped)), ids);

        assertThat(decisions.answers().get(0)).isInstanceOf(SpendHolds.Hold.class);
        assertThat(decisions.answers().get(1)).isInstanceOf(LedgerReceipt.class);
        assertThat(refusal(decisions.answers().get(2))).isEqualTo(LedgerRefusal.Reason.MONTHLY_CAP_REACHED);
        assertThat(((LedgerRefusal) decisions.answers().get(2)).getMessage())
                .isEqualTo("month-to-date spend 0.7 plus 0.01 would exceed the monthly cap 1");
        assertThat(refusal(decisions.answers().get(3))).isEqualTo(LedgerRefusal.Reason.MONTHLY_CAP_REACHED);
    }

    @Test
    void aSuspendedOrNeverOpenedAccountIsRefusedAndNotWritten() {
        SpendableAccount suspended = new SpendableAccount(Credits.parse("10"), Credits.ZERO, "suspended", Optional.empty(), Credits.ZERO, 1);

        SpendBatch.Decisions decisions = SpendBatch.decide(List.of(hold("s", "r1", "1"), deduct("s", "1", null), hold("nobody", "r1", "1"),
                deduct("nobody", "1", null)), stored(Map.of("s", suspended)), ids);

        assertThat(decisions.answers()).extracting(SpendBatchTest::refusal).containsExactly(LedgerRefusal.Reason.ACCOUNT_SUSPENDED,
                LedgerRefusal.Reason.ACCOUNT_SUSPENDED, LedgerRefusal.Reason.INSUFFICIENT_CREDITS, LedgerRefusal.Reason.INSUFFICIENT_CREDITS);
        assertThat(((LedgerRefusal) decisions.answers().get(1)).getMessage()).isEqualTo("the account is suspended");
        assertThat(decisions.writesNothing()).isTrue();
    }

    @Test
    void anIdempotencyKeyAnswersItsFirstDeductStoredOrEarlierInTheBatch() {
        UUID earlier = UUID.randomUUID();
        SpendBatch.Stored stored = new SpendBatch.Stored(Map.of("a", account("1.00")), List.of(),
                Map.of(new SpendBatch.DeductKey("a", "k0"), new SpendBatch.EarlierDeduct(earlier, Credits.parse("-0.1"), Credits.parse("1.1"))));

        SpendBatch.Decisions decisions = SpendBatch.decide(List.of(deduct("a", "0.1", "k0"), deduct("a", "0.2", "k1"), deduct("a", "0.2", "k1"),
                deduct("a", "0.3", "k1"), deduct("b", "0.2", "k1")), stored, ids);

        assertThat(decisions.answers().get(0)).isEqualTo(new LedgerReceipt(Credits.parse("1.1"), earlier, Credits.parse("-0.1"), true, 0));
        LedgerReceipt booked = (LedgerReceipt) decisions.answers().get(1);
        assertThat(booked.replayed()).isFalse();
        assertThat(decisions.answers().get(2)).isEqualTo(new LedgerReceipt(booked.newBalance(), booked.transactionId(), booked.amount(), true, 0));
        assertThat(refusal(decisions.answers().get(3))).isEqualTo(LedgerRefusal.Reason.IDEMPOTENCY_KEY_REUSED);
        assertThat(refusal(decisions.answers().get(4))).isEqualTo(LedgerRefusal.Reason.INSUFFICIENT_CREDITS); // another user's key space
        assertThat(decisions.deducts()).singleElement().satisfies(row -> assertThat(row.idempotencyKey()).contains("k1"));
    }

    @Test
    void accountsOfOneBatchAreJudgedApart() {
        SpendBatch.Decisions decisions = SpendBatch.decide(List.of(deduct("a", "1", null), deduct("b", "1", null), hold("a", "r", "0.5")),
                stored(Map.of("a", account("1"), "b", account("2"))), ids);

        assertThat(refusal(decisions.answers().get(2))).isEqualTo(LedgerRefusal.Reason.INSUFFICIENT_CREDITS);
        assertThat(decisions.accounts()).extracting(SpendBatch.AccountChange::userId).containsExactlyInAnyOrder("a", "b");
    }
}
