-- Undoes V2: V1 had no usage_events table, so rolling back below V2 deletes every usage event. The ledger
-- (credit_transactions) keeps what was charged; take the backup migrate makes if the events matter.
DROP FUNCTION usage_events_drop_partitions_before(date);
DROP FUNCTION usage_events_create_partitions(date, integer);
DROP TABLE usage_events;
