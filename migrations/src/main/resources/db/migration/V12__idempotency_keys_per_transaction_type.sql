-- A user's deduct keys and an admin's allocation keys to that user were one namespace: a user who spent with the
-- key an admin script would use made that script's retry answer 409. Keys are now unique per user and kind of
-- transaction (the index keeps the seed's name, which its verification steps look for).
DROP INDEX idx_credit_transactions_user_id_idempotency_key;
CREATE UNIQUE INDEX idx_credit_transactions_user_id_idempotency_key
    ON credit_transactions (user_id, transaction_type, idempotency_key) WHERE idempotency_key IS NOT NULL;
