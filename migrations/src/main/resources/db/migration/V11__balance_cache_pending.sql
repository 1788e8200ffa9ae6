-- The users of each committed debit batch until their new balances have reached Redis. The cache write follows
-- the commit, so an applier that dies in between (kill -9, an OOM) left those users' cached balances stale until
-- their TTL, with nothing to refresh them if they spent no more. Whoever owns the partitions next reads the rows
-- left here, refreshes those users from user_credits and deletes the rows. One row per batch, written by the
-- batch's own statement and deleted by a later batch once the write is confirmed: no row per event.
CREATE TABLE applier_cache_pending (
    id             bigserial PRIMARY KEY,
    consumer_group text        NOT NULL,
    user_ids       text[]      NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
