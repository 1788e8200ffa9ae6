-- Undoes V11: cached balances of batches not yet confirmed are no longer refreshed after a crash (they expire
-- with their TTL, as before V11).
DROP TABLE applier_cache_pending;
