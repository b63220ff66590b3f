-- Request rate limits (issue 17).
--
-- Keys: a key's limits may hold named request rate limits (Limits::rate), as a jsonb array of
-- {"name", "limit", "window_seconds"}, sorted by name; the pending privilege change carries the same
-- field (NULL when none is pending, or for a pending change written before this migration: no limit).
--
-- rate_leases: per key and limit name, the one window whose budget is out on lease and how much of it
-- is. A process leases a slice of the window's budget in one statement (a conditional upsert on this
-- row, whose lock serialises racing processes), answers requests from it in memory, and gives back what
-- it did not use. A newer window replaces the row's window, so the table holds one row per limit in use
-- and never grows with time; a lease for a window older than the row's grants nothing.

CREATE FUNCTION rate_limits_valid(rate jsonb) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    entry jsonb;
    seen text[] := '{}';
BEGIN
    -- One test per IF, as in amount_limits_valid.
    IF jsonb_typeof(rate) <> 'array' THEN
        RETURN false;
    END IF;
    IF jsonb_array_length(rate) > 5 THEN
        RETURN false;
    END IF;
    FOR entry IN SELECT jsonb_array_elements(rate) LOOP
        IF jsonb_typeof(entry) <> 'object' THEN
            RETURN false;
        END IF;
        IF NOT entry ?& ARRAY['name', 'limit', 'window_seconds']
            OR (SELECT count(*) FROM jsonb_object_keys(entry)) <> 3 THEN
            RETURN false;
        END IF;
        IF jsonb_typeof(entry -> 'name') <> 'string'
            OR entry ->> 'name' !~ '^[A-Za-z0-9_.-]{1,32}$'
            OR entry ->> 'name' = ANY (seen) THEN
            RETURN false;
        END IF;
        seen := seen || (entry ->> 'name');
        IF jsonb_typeof(entry -> 'limit') <> 'number' OR entry ->> 'limit' !~ '^[0-9]{1,10}$' THEN
            RETURN false;
        END IF;
        IF (entry ->> 'limit')::bigint NOT BETWEEN 1 AND 1000000000 THEN
            RETURN false;
        END IF;
        IF jsonb_typeof(entry -> 'window_seconds') <> 'number' OR entry ->> 'window_seconds' !~ '^[0-9]{1,5}$' THEN
            RETURN false;
        END IF;
        IF (entry ->> 'window_seconds')::integer NOT BETWEEN 1 AND 86400 THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END
$$;
COMMENT ON FUNCTION rate_limits_valid(jsonb) IS
    'Whether a key''s rate limits have the shape keygate writes: an array of at most 5 objects holding exactly '
    'a name (1 to 32 of A-Z a-z 0-9 _ . -, unique in the array), a limit (1 to 1e9) and window_seconds (1 to 86400).';

ALTER TABLE keys
    ADD COLUMN rate jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN pending_rate jsonb NULL,
    ADD CONSTRAINT keys_rate_valid CHECK (rate_limits_valid(rate)),
    ADD CONSTRAINT keys_pending_rate_valid CHECK (rate_limits_valid(pending_rate)),
    ADD CONSTRAINT keys_pending_rate_only_pending CHECK (pending_scopes IS NOT NULL OR pending_rate IS NULL);
ALTER TABLE keys ALTER COLUMN rate DROP DEFAULT;
COMMENT ON COLUMN keys.rate IS
    'Limits::rate: [{"name": "per-second", "limit": 100, "window_seconds": 1}], sorted by name; windows are '
    'aligned to the Unix epoch. Empty: no request rate limit.';
COMMENT ON COLUMN keys.pending_rate IS
    'As rate, for the pending privilege change; NULL when none is pending (or: the change has no rate limit).';

CREATE TABLE rate_leases (
    key_id       text COLLATE "C" NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    name         text COLLATE "C" NOT NULL,
    window_start bigint NOT NULL,
    leased       bigint NOT NULL,
    granted      bigint NOT NULL,
    PRIMARY KEY (key_id, name),
    CONSTRAINT rate_leases_leased_range CHECK (leased >= 0),
    CONSTRAINT rate_leases_granted_range CHECK (granted >= 0 AND granted <= leased)
);
COMMENT ON TABLE rate_leases IS
    'Request budget out on lease: per key and rate limit name, the newest window leased from.';
COMMENT ON COLUMN rate_leases.window_start IS 'The window''s start, in seconds since the Unix epoch.';
COMMENT ON COLUMN rate_leases.leased IS
    'The window''s budget out on lease (granted minus given back); never above the limit leased under.';
COMMENT ON COLUMN rate_leases.granted IS 'What the last lease granted (what the upsert answers).';
