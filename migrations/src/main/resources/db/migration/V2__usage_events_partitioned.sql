-- usage_events: one row per unique priced usage event, millions a day. Partitioned by month on
-- occurred_at so retention is DROP TABLE of a partition (instant, no vacuum debt) and time-range queries
-- touch only the months they ask for. A default partition catches events outside the prepared months,
-- so an insert never fails for want of a partition.
CREATE TABLE usage_events (
    event_id            TEXT NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
    occurred_at         TIMESTAMPTZ NOT NULL,
    user_id             TEXT NOT NULL,
    provider            TEXT NOT NULL,
    model               TEXT NOT NULL,
    input_tokens        BIGINT NOT NULL CHECK (input_tokens >= 0),
    output_tokens       BIGINT NOT NULL CHECK (output_tokens >= 0),
    cached_input_tokens BIGINT NOT NULL DEFAULT 0 CHECK (cached_input_tokens >= 0 AND cached_input_tokens <= input_tokens),
    power_level         TEXT NOT NULL DEFAULT 'balanced',
    tier                TEXT NOT NULL DEFAULT 'free',
    cost                NUMERIC(30,9) NOT NULL CHECK (cost >= 0),
    price_version       TEXT NOT NULL,
    source              TEXT NOT NULL DEFAULT 'unknown',
    metadata            JSONB NOT NULL DEFAULT '{}'::jsonb,
    priced_at           TIMESTAMPTZ NOT NULL,
    applied_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- second line of defence against duplicates older than the topology's dedupe horizon: the applier
    -- inserts ON CONFLICT DO NOTHING and charges only the rows it really inserted
    CONSTRAINT usage_events_pkey PRIMARY KEY (event_id, occurred_at)
) PARTITION BY RANGE (occurred_at);

-- GET /api/v1/credits/usage: a user's events in a time range, newest first
CREATE INDEX idx_usage_events_user_id_occurred_at ON usage_events (user_id, occurred_at DESC);
-- usage analytics: by model in a time range
CREATE INDEX idx_usage_events_model_occurred_at ON usage_events (model, occurred_at);
-- usage analytics and OpenRouter reconciliation: by provider in a time range
CREATE INDEX idx_usage_events_provider_occurred_at ON usage_events (provider, occurred_at);
-- audits: which events were priced with a given price version (after a price correction)
CREATE INDEX idx_usage_events_price_version ON usage_events (price_version);

CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT;

-- Creates the monthly partitions usage_events_pYYYYMM for `months` months from `first_month`, skipping
-- those that exist. Rows that already sit in the default partition for a new month are moved into it
-- (PostgreSQL refuses to create a partition whose range the default partition already holds rows of).
CREATE FUNCTION usage_events_create_partitions(first_month DATE, months INTEGER)
RETURNS SETOF TEXT LANGUAGE plpgsql AS $$
DECLARE
    month_start DATE;
    month_end   DATE;
    part_name   TEXT;
    stranded    BIGINT;
BEGIN
    IF months < 1 OR months > 120 THEN
        RAISE EXCEPTION 'months must be between 1 and 120, was %', months;
    END IF;
    FOR i IN 0 .. months - 1 LOOP
        month_start := (date_trunc('month', first_month) + make_interval(months => i))::date;
        month_end   := (month_start + interval '1 month')::date;
        part_name   := format('usage_events_p%s', to_char(month_start, 'YYYYMM'));
        CONTINUE WHEN to_regclass(part_name) IS NOT NULL;

        SELECT count(*) INTO stranded FROM usage_events_default
         WHERE occurred_at >= month_start AND occurred_at < month_end;
        IF stranded > 0 THEN
            ALTER TABLE usage_events DETACH PARTITION usage_events_default;
            EXECUTE format('CREATE TABLE %I PARTITION OF usage_events FOR VALUES FROM (%L) TO (%L)',
                           part_name, month_start, month_end);
            EXECUTE format('INSERT INTO %I SELECT * FROM usage_events_default WHERE occurred_at >= %L AND occurred_at < %L',
                           part_name, month_start, month_end);
            DELETE FROM usage_events_default WHERE occurred_at >= month_start AND occurred_at < month_end;
            ALTER TABLE usage_events ATTACH PARTITION usage_events_default DEFAULT;
        ELSE
            EXECUTE format('CREATE TABLE %I PARTITION OF usage_events FOR VALUES FROM (%L) TO (%L)',
                           part_name, month_start, month_end);
        END IF;
        RETURN NEXT part_name;
    END LOOP;
END;
$$;

-- Drops the monthly partitions that end on or before `keep_from` (retention); returns their names.
-- The default partition is never dropped.
CREATE FUNCTION usage_events_drop_partitions_before(keep_from DATE)
RETURNS SETOF TEXT LANGUAGE plpgsql AS $$
DECLARE
    part RECORD;
BEGIN
    FOR part IN
        SELECT c.relname
          FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'usage_events'::regclass
           AND c.relname ~ '^usage_events_p[0-9]{6}$'
           AND (to_date(substring(c.relname from 15 for 6), 'YYYYMM') + interval '1 month')::date <= keep_from
         ORDER BY c.relname
    LOOP
        EXECUTE format('DROP TABLE %I', part.relname);
        RETURN NEXT part.relname;
    END LOOP;
END;
$$;

-- The previous month through eleven months ahead; the applier extends this as time passes.
DO $$
BEGIN
    PERFORM usage_events_create_partitions((date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month')::date, 13);
END
$$;
