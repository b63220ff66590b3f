-- A spend in one statement, so one round trip: its idempotency claim (if it has a key), the charge
-- and the spend's row, and nothing else. It took BEGIN, (the key's version and the claim,) the charge,
-- the insert and COMMIT before: four to six round trips on the verify path, plus the pool's pings.
--
-- The charge is `CHARGE` of crates/keygate-store/src/pg/totals.rs, unchanged (same locks, same order,
-- same version test), and the claim is `CLAIM` of spends.rs after the same version read. Whenever the
-- transactional path would do anything but claim, charge all three windows and insert the row (a claim
-- already held: a replay or a mismatch; a window refused; a stale or unknown key; a volume threshold
-- crossed, whose notice is written with the spend), the function raises SQLSTATE KG001: the whole
-- statement is rolled back, nothing is written, and the caller decides the spend again in its
-- transaction, which answers exactly. The thresholds are percentages of each window's cap
-- (`THRESHOLDS` of notices.rs).
CREATE FUNCTION keygate_spend(
    p_tenant text, p_key text, p_currency text, p_amount numeric,
    p_kinds text[], p_starts date[], p_caps numeric[], p_version bigint,
    p_spend_id text, p_spend_currency text, p_at timestamptz, p_thresholds numeric[],
    p_idempotency_key text, p_fingerprint bytea
) RETURNS TABLE (charged_window text, charged_total numeric)
LANGUAGE plpgsql AS $fn$
DECLARE
    kinds text[];
    totals numeric[];
    claimed text;
BEGIN
    IF p_idempotency_key IS NOT NULL THEN
        -- As `record`: the key as it is now first (a replay never outlives a change), then `CLAIM`.
        IF NOT EXISTS (SELECT 1 FROM keys k WHERE k.tenant_id = p_tenant AND k.key_id = p_key AND k.version = p_version) THEN
            RAISE EXCEPTION USING ERRCODE = 'KG001', MESSAGE = 'keygate_spend: the key changed or is gone';
        END IF;
        INSERT INTO spend_idempotency AS i (tenant_id, key_id, idempotency_key, spend_id, fingerprint, created_at)
        VALUES (p_tenant, p_key, p_idempotency_key, p_spend_id, p_fingerprint, p_at)
        ON CONFLICT (tenant_id, key_id, idempotency_key) DO UPDATE
        SET spend_id = EXCLUDED.spend_id, fingerprint = EXCLUDED.fingerprint, created_at = EXCLUDED.created_at
        WHERE i.created_at < EXCLUDED.created_at - interval '24 hours'
           OR EXISTS (SELECT 1 FROM spends s WHERE s.spend_id = i.spend_id AND s.state = 'released')
        RETURNING i.spend_id INTO claimed;
        IF claimed IS NULL THEN
            -- An earlier claim answers (a replay or a mismatch): the transaction reads it.
            RAISE EXCEPTION USING ERRCODE = 'KG001', MESSAGE = 'keygate_spend: the idempotency key is claimed';
        END IF;
    END IF;

    WITH w AS (SELECT * FROM unnest(p_kinds, p_starts, p_caps) WITH ORDINALITY AS w (kind, starts_on, cap, ord)),
    c AS (
        INSERT INTO spend_totals AS t (tenant_id, key_id, currency, window_kind, starts_on, spent)
        SELECT p_tenant, p_key, p_currency, w.kind, w.starts_on, p_amount FROM w
        WHERE (w.cap IS NULL OR p_amount <= w.cap)
          AND EXISTS (SELECT 1 FROM keys k WHERE k.tenant_id = p_tenant AND k.key_id = p_key AND k.version = p_version FOR SHARE)
        ORDER BY w.ord
        ON CONFLICT (tenant_id, key_id, currency, window_kind, starts_on) DO UPDATE SET spent = t.spent + EXCLUDED.spent
        WHERE NOT EXISTS (SELECT 1 FROM w WHERE w.kind = EXCLUDED.window_kind AND t.spent + EXCLUDED.spent > w.cap)
        RETURNING t.window_kind, t.spent)
    SELECT array_agg(c.window_kind), array_agg(c.spent) INTO kinds, totals FROM c;

    IF coalesce(cardinality(kinds), 0) < cardinality(p_kinds) THEN
        RAISE EXCEPTION USING ERRCODE = 'KG001', MESSAGE = 'keygate_spend: not charged to every window';
    END IF;
    -- A threshold crossed: from under `cap * pct / 100` before this amount to at or over it after.
    IF EXISTS (
        SELECT 1 FROM unnest(kinds, totals) AS c (kind, total)
        JOIN unnest(p_kinds, p_caps) AS w (kind, cap) ON w.kind = c.kind
        CROSS JOIN unnest(p_thresholds) AS th (pct)
        WHERE w.cap IS NOT NULL
          AND (c.total - p_amount) * 100 < w.cap * th.pct AND c.total * 100 >= w.cap * th.pct
    ) THEN
        RAISE EXCEPTION USING ERRCODE = 'KG001', MESSAGE = 'keygate_spend: a volume threshold is crossed';
    END IF;

    INSERT INTO spends (tenant_id, spend_id, key_id, amount, currency, day, week, month, state, created_at)
    VALUES (p_tenant, p_spend_id, p_key, p_amount, p_spend_currency, p_starts[1], p_starts[2], p_starts[3], 'held', p_at);
    RETURN QUERY SELECT * FROM unnest(kinds, totals);
END
$fn$;

COMMENT ON FUNCTION keygate_spend(text, text, text, numeric, text[], date[], numeric[], bigint, text, text, timestamptz, numeric[], text, bytea)
    IS 'One spend: its idempotency claim, charge and row, or SQLSTATE KG001 with nothing written.';
