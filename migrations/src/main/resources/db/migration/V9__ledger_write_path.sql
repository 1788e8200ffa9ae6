-- The debit applier's write path, measured with EXPLAIN (ANALYZE, BUFFERS, WAL) on a batch of 5,000 debits
-- over 100,000 accounts (BENCHMARKS.md).

-- Identifiers compare as bytes. Under the database's collation (C.UTF-8 here, often en_US.UTF-8) every
-- comparison in the primary keys and user indexes went through strcoll; ids are opaque, so their order only
-- needs to be stable, and byte order is. Listings sorted by user id now sort by code point.
ALTER TABLE user_credits ALTER COLUMN user_id TYPE text COLLATE "C";
ALTER TABLE credit_transactions ALTER COLUMN user_id TYPE text COLLATE "C";
ALTER TABLE openrouter_accounts ALTER COLUMN user_id TYPE text COLLATE "C";
ALTER TABLE coupon_redemptions ALTER COLUMN user_id TYPE text COLLATE "C";
ALTER TABLE credit_holds ALTER COLUMN user_id TYPE text COLLATE "C", ALTER COLUMN request_id TYPE text COLLATE "C";
ALTER TABLE usage_events ALTER COLUMN event_id TYPE text COLLATE "C", ALTER COLUMN user_id TYPE text COLLATE "C";
ALTER TABLE usage_rollups ALTER COLUMN user_id TYPE text COLLATE "C";

-- Ledger ids in time order (the layout of UUID version 7: 48 bits of Unix milliseconds, then random bits). A
-- random UUID put each of a batch's ledger rows on a random leaf of the primary key: a page read, dirtied and,
-- after every checkpoint, written whole to the WAL per row (3,800 full-page images and 25 MB of WAL for one
-- batch); in time order a batch's rows share a few leaves. Still unique and unguessable enough for an id.
CREATE FUNCTION uuid_time_ordered() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                  PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
                  52, 1), 53, 1), 'hex')::uuid
$$;
ALTER TABLE credit_transactions ALTER COLUMN id SET DEFAULT uuid_time_ordered();
