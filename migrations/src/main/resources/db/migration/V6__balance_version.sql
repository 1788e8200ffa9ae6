-- Every change of a balance increments its version, in the same statement, under the row lock: the Redis cache
-- is written after each commit, and concurrent writers' cache writes can arrive in any order; with the version
-- the cache keeps the newest balance instead of whichever write came last.
ALTER TABLE user_credits ADD COLUMN balance_version BIGINT NOT NULL DEFAULT 0;
