-- Undoes V1: every table of the credit system, and its data.
DROP TABLE usage_rollups;
DROP TABLE applier_offsets;
DROP TABLE ingest_api_keys;
DROP TABLE coupon_redemptions;
DROP TABLE coupon_codes;
DROP TABLE openrouter_accounts;
DROP TABLE credit_transactions;
DROP TABLE user_credits;
