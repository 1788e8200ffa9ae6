-- Undoes V9: user ids back to the database's default collation, ledger ids random again.
ALTER TABLE credit_transactions ALTER COLUMN id SET DEFAULT gen_random_uuid();
DROP FUNCTION uuid_time_ordered();
ALTER TABLE usage_rollups ALTER COLUMN user_id TYPE text COLLATE "default";
ALTER TABLE usage_events ALTER COLUMN event_id TYPE text COLLATE "default", ALTER COLUMN user_id TYPE text COLLATE "default";
ALTER TABLE credit_holds ALTER COLUMN user_id TYPE text COLLATE "default", ALTER COLUMN request_id TYPE text COLLATE "default";
ALTER TABLE coupon_redemptions ALTER COLUMN user_id TYPE text COLLATE "default";
ALTER TABLE openrouter_accounts ALTER COLUMN user_id TYPE text COLLATE "default";
ALTER TABLE credit_transactions ALTER COLUMN user_id TYPE text COLLATE "default";
ALTER TABLE user_credits ALTER COLUMN user_id TYPE text COLLATE "default";
