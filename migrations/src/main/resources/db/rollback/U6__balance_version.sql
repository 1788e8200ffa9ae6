-- Undoes V6.
ALTER TABLE user_credits DROP COLUMN balance_version;
