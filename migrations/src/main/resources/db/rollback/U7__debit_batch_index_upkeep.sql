-- Undoes V7: the indexes V7 dropped or narrowed, as V1-V3 had made them.
DROP INDEX idx_credit_transactions_transaction_type_created_at;
CREATE INDEX idx_credit_transactions_transaction_type_created_at ON credit_transactions (transaction_type, created_at);
DROP INDEX idx_credit_transactions_user_id_transaction_type_created_at;
CREATE INDEX idx_credit_transactions_user_id_transaction_type_created_at
    ON credit_transactions (user_id, transaction_type, created_at DESC);
CREATE INDEX idx_usage_events_price_version ON usage_events (price_version);
CREATE INDEX idx_usage_events_provider_occurred_at ON usage_events (provider, occurred_at);
CREATE INDEX idx_usage_events_model_occurred_at ON usage_events (model, occurred_at);
CREATE INDEX idx_user_credits_balance ON user_credits (balance) WHERE balance < 0;
