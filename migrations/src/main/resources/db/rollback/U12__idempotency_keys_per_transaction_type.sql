-- Undoes V12: idempotency keys unique per user again. Fails (and changes nothing) if a user has used one key
-- for two kinds of transaction since, which V11's schema cannot hold.
DROP INDEX idx_credit_transactions_user_id_idempotency_key;
CREATE UNIQUE INDEX idx_credit_transactions_user_id_idempotency_key
    ON credit_transactions (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
