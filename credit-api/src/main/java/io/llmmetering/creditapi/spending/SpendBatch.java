package io.llmmetering.creditapi.spending;

import io.llmmetering.core.money.Credits;
import io.llmmetering.creditapi.accounts.LedgerRefusal;
import io.llmmetering.creditapi.accounts.LedgerReceipt;
import io.llmmetering.creditapi.accounts.SpendableAccount;
import io.llmmetering.creditapi.accounts.UsageDetails;
import io.llmmetering.creditapi.holds.SpendHolds;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Judges a batch of requests in arrival order against what the batch read under its account locks, as the
 * requests would have been judged one transaction after another: each sees the accounts as the requests before it
 * left them, a refused one changes nothing, a request id or idempotency key seen earlier (stored, or earlier in the
 * batch) is answered as a replay or refused as reused. No I/O: the decisions and what to write come back together.
 */
final class SpendBatch {

    private SpendBatch() {
    }

    record HoldKey(String userId, String requestId) {
    }

    record DeductKey(String userId, String idempotencyKey) {
    }

    /** A hold as stored; {@code expiresAt} is null for one placed by this batch until the batch is written. */
    record StoredHold(UUID id, String userId, String requestId, Credits amount, String status, Instant expiresAt) {
    }

    record EarlierDeduct(UUID id, Credits amount, Credits balanceAfter) {
    }

    /** What the batch read under its locks: the accounts (absent ones were never opened), the holds and deduct keys it names. */
    record Stored(Map<String, SpendableAccount> accounts, List<StoredHold> holds, Map<DeductKey, EarlierDeduct> deducts) {
    }

    /** How one account changes: held and balance by these amounts, the balance version by {@code versions}; {@code after} as judged. */
    record AccountChange(String userId, Credits heldChange, Credits spent, int versions, SpendableAccount after) {
    }

    record NewHold(UUID id, String userId, String requestId, Credits amount, String actor, Duration ttl) {
    }

    /** A deduction's ledger row: {@code amount} is negative. */
    record NewDeduct(UUID id, String userId, Credits amount, Credits balanceAfter, String reason, UsageDetails usage,
                     Optional<String> idempotencyKey) {
    }

    /**
     * @param answers per request, in order: a {@link SpendHolds.Hold}, a void's status, a {@link LedgerReceipt}, or the
     *                {@link LedgerRefusal} it gets
     */
    record Decisions(List<Object> answers, List<AccountChange> accounts, List<NewHold> holds, List<UUID> voided, List<NewDeduct> deducts) {

        /** Only refusals and replays: the batch changes nothing. */
        boolean writesNothing() {
            return holds.isEmpty() && voided.isEmpty() && deducts.isEmpty();
        }
    }

    static Decisions decide(List<SpendRequest> requests, Stored stored, Supplier<UUID> ids) {
        Judge judge = new Judge(stored, ids);
        List<Object> answers = new ArrayList<>(requests.size());
        for (SpendRequest request : requests) {
            if (request instanceof SpendRequest.PlaceHold hold) {
                answers.add(judge.place(hold));
            } else if (request instanceof SpendRequest.VoidHold release) {
                answers.add(judge.release(release));
            } else {
                answers.add(judge.deduct((SpendRequest.Deduct) request));
            }
        }
        List<AccountChange> changes = new ArrayList<>();
        judge.accounts.forEach((userId, after) -> {
            SpendableAccount before = stored.accounts().get(userId);
            if (before != null && !after.equals(before)) {
                changes.add(new AccountChange(userId, after.held().minus(before.held()), before.balance().minus(after.balance()),
                        Math.toIntExact(after.balanceVersion() - before.balanceVersion()), after));
            }
        });
        return new Decisions(answers, changes, judge.newHolds, judge.voided, judge.newDeducts);
    }

    /** The accounts, holds and keys as the requests judged so far left them. */
    private static final class Judge {

        private final Supplier<UUID> ids;
        private final Map<String, SpendableAccount> accounts;
        private final Map<UUID, StoredHold> holds = new HashMap<>();
        private final Map<HoldKey, UUID> holdsByRequest = new HashMap<>();
        private final Map<DeductKey, EarlierDeduct> deducts;
        private final List<NewHold> newHolds = new ArrayList<>();
        private final List<UUID> voided = new ArrayList<>();
        private final List<NewDeduct> newDeducts = new ArrayList<>();

        Judge(Stored stored, Supplier<UUID> ids) {
            this.ids = ids;
            this.accounts = new LinkedHashMap<>(stored.accounts());
            for (StoredHold hold : stored.holds()) {
                holds.put(hold.id(), hold);
                holdsByRequest.put(new HoldKey(hold.userId(), hold.requestId()), hold.id());
            }
            this.deducts = new HashMap<>(stored.deducts());
        }

        private SpendableAccount account(String userId) {
            return accounts.getOrDefault(userId, SpendableAccount.NONE);
        }

        Object place(SpendRequest.PlaceHold hold) {
            HoldKey key = new HoldKey(hold.userId(), hold.requestId());
            SpendableAccount account = account(hold.userId());
            UUID earlier = holdsByRequest.get(key);
            if (earlier != null) {
                return replay(holds.get(earlier), hold, account);
            }
            if (account.refusal(hold.estimate()).isPresent()) {
                return account.refusedHold(hold.estimate());
            }
            SpendableAccount after = account.holding(hold.estimate());
            accounts.put(hold.userId(), after);
            UUID id = ids.get();
            newHolds.add(new NewHold(id, hold.userId(), hold.requestId(), hold.estimate(), hold.actor(), hold.ttl()));
            holds.put(id, new StoredHold(id, hold.userId(), hold.requestId(), hold.estimate(), "active", null));
            holdsByRequest.put(key, id);
            return new SpendHolds.Hold(id, hold.userId(), hold.requestId(), hold.estimate(), "active", null, after.available(), false);
        }

        Object release(SpendRequest.VoidHold release) {
            StoredHold hold = holds.get(release.holdId());
            if (hold == null || !hold.userId().equals(release.userId())) {
                throw new IllegalStateException("hold " + release.holdId() + " was not read by its batch");
            }
            if (!hold.status().equals("active")) {
                return hold.status();
            }
            accounts.put(hold.userId(), account(hold.userId()).holding(hold.amount().negate()));
            holds.put(hold.id(), new StoredHold(hold.id(), hold.userId(), hold.requestId(), hold.amount(), "voided", hold.expiresAt()));
            voided.add(hold.id());
            return "voided";
        }

        Object deduct(SpendRequest.Deduct deduct) {
            Optional<DeductKey> key = deduct.idempotencyKey().map(k -> new DeductKey(deduct.userId(), k));
            if (key.isPresent() && deducts.containsKey(key.get())) {
                return replay(deducts.get(key.get()), deduct);
            }
            SpendableAccount account = account(deduct.userId());
            if (account.refusal(deduct.amount()).isPresent()) {
                return account.refusedDeduct(deduct.amount());
            }
            SpendableAccount after = account.deducted(deduct.amount());
            accounts.put(deduct.userId(), after);
            UUID id = ids.get();
            Credits amount = deduct.amount().negate();
            newDeducts.add(new NewDeduct(id, deduct.userId(), amount, after.balance(), deduct.reason(), deduct.usage(), deduct.idempotencyKey()));
            key.ifPresent(k -> deducts.put(k, new EarlierDeduct(id, amount, after.balance())));
            return new LedgerReceipt(after.balance(), id, amount, false, after.balanceVersion());
        }
    }

    /** A request id held before: the same estimate is a retry and gets that hold as it stands; another amount is another request. */
    private static Object replay(StoredHold earlier, SpendRequest.PlaceHold hold, SpendableAccount account) {
        if (!earlier.amount().equals(hold.estimate())) {
            return new LedgerRefusal(LedgerRefusal.Reason.IDEMPOTENCY_KEY_REUSED, "request_id " + hold.requestId() + " already holds "
                    + earlier.amount() + "; a retry must send the same estimate (" + hold.estimate() + " was sent)");
        }
        return new SpendHolds.Hold(earlier.id(), hold.userId(), hold.requestId(), earlier.amount(), earlier.status(), earlier.expiresAt(),
                account.available(), true);
    }

    private static Object replay(EarlierDeduct earlier, SpendRequest.Deduct deduct) {
        if (!earlier.amount().equals(deduct.amount().negate())) {
            return new LedgerRefusal(LedgerRefusal.Reason.IDEMPOTENCY_KEY_REUSED,
                    "this Idempotency-Key was already used for a different request (deduction of " + earlier.amount() + ")");
        }
        return new LedgerReceipt(earlier.balanceAfter(), earlier.id(), earlier.amount(), true, 0);
    }
}
