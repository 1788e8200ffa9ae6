-- Undoes V3: the indexes as V1 made them, and the default fill factor.
ALTER TABLE user_credits RESET (fillfactor);
DROP INDEX idx_user_credits_balance;
CREATE INDEX idx_user_credits_balance ON user_credits (balance);
CREATE INDEX idx_user_credits_updated_at ON user_credits (updated_at);
