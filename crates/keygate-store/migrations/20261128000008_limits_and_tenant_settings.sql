-- Limits per currency and window, a key's currency class, and a tenant's time zone and currency table.
--
-- Keys: the single currency with its per-operation maximum and daily volume becomes a list of amount
-- limits (Limits, AmountLimit), one entry per currency, each with a maximum and a day, week and month
-- volume, every bound optional; and a key may be bound to one class of currency (fiat or crypto). The
-- list is a jsonb array of {"currency", "max_amount", "daily_volume", "weekly_volume", "monthly_volume"},
-- an unset bound absent, each amount a JSON string holding its exact decimal (a JSON number invites a
-- reader to take it for a float). The pending privilege change carries the same two fields.
--
-- Tenants: the policy gains its time zone and the tenant's own currency entries (a jsonb array of
-- {"currency", "class", "scale"}, over keygate's built-in table); the pending policy may ask for a time
-- zone and for one currency entry, and may now consist of either alone; and a decided change of time
-- zone waits for its instant (TimezoneChange) in timezone_from and timezone_effective_at.
--
-- Rows written before this migration are read as they were meant: a key's currency with its maximum
-- and daily volume becomes a one-entry list (no currency, an empty list), without a class, as
-- Limits::single builds it; a tenant keeps UTC and the built-in table, with nothing scheduled.
--
-- The two jsonb shapes are checked by a function each, the second line of defence the numeric columns'
-- CHECKs were. The functions call only built-ins (never each other), so a CHECK still finds everything
-- it calls when a dump is restored with an empty search_path.

-- Shapes ------------------------------------------------------------------------------------------

CREATE FUNCTION amount_limits_valid(amounts jsonb) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    entry jsonb;
    bound text;
    amount numeric;
    smaller numeric;
    seen text[] := '{}';
BEGIN
    -- One test per IF: SQL does not promise to evaluate OR's operands in order, and
    -- jsonb_array_length, jsonb_object_keys and ::numeric raise on the values the tests before refuse.
    IF jsonb_typeof(amounts) <> 'array' THEN
        RETURN false;
    END IF;
    IF jsonb_array_length(amounts) > 32 THEN
        RETURN false;
    END IF;
    FOR entry IN SELECT jsonb_array_elements(amounts) LOOP
        IF jsonb_typeof(entry) <> 'object' THEN
            RETURN false;
        END IF;
        IF jsonb_typeof(entry -> 'currency') IS DISTINCT FROM 'string'
            OR entry ->> 'currency' !~ '^[A-Z0-9]{2,10}$'
            OR entry ->> 'currency' = ANY (seen) THEN
            RETURN false;
        END IF;
        seen := seen || (entry ->> 'currency');
        IF EXISTS (
            SELECT 1 FROM jsonb_object_keys(entry) AS k (name)
            WHERE name NOT IN ('currency', 'max_amount', 'daily_volume', 'weekly_volume', 'monthly_volume')
        ) THEN
            RETURN false;
        END IF;
        -- Smallest bound first: each one set is positive and at least every smaller one set.
        smaller := NULL;
        FOREACH bound IN ARRAY ARRAY['max_amount', 'daily_volume', 'weekly_volume', 'monthly_volume'] LOOP
            CONTINUE WHEN coalesce(jsonb_typeof(entry -> bound), 'null') = 'null';
            IF jsonb_typeof(entry -> bound) <> 'string' OR entry ->> bound !~ '^[0-9]{1,18}(\.[0-9]{1,18})?$' THEN
                RETURN false;
            END IF;
            amount := (entry ->> bound)::numeric;
            IF amount <= 0 OR amount < smaller THEN
                RETURN false;
            END IF;
            smaller := amount;
        END LOOP;
    END LOOP;
    RETURN true;
END
$$;
COMMENT ON FUNCTION amount_limits_valid(jsonb) IS
    'Whether a key''s amount limits have the shape keygate writes: an array of at most 32 objects, one per '
    'currency (2 to 10 upper-case letters or digits), with only the four bounds besides, each absent, null or '
    'a positive decimal string (below 1e18, at most 18 decimals), max <= daily <= weekly <= monthly.';

CREATE FUNCTION currency_table_valid(currencies jsonb) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    entry jsonb;
    seen text[] := '{}';
BEGIN
    -- One test per IF, as in amount_limits_valid.
    IF jsonb_typeof(currencies) <> 'array' THEN
        RETURN false;
    END IF;
    FOR entry IN SELECT jsonb_array_elements(currencies) LOOP
        IF jsonb_typeof(entry) <> 'object' THEN
            RETURN false;
        END IF;
        IF NOT entry ?& ARRAY['currency', 'class', 'scale']
            OR (SELECT count(*) FROM jsonb_object_keys(entry)) <> 3 THEN
            RETURN false;
        END IF;
        IF jsonb_typeof(entry -> 'currency') <> 'string'
            OR entry ->> 'currency' !~ '^[A-Z0-9]{2,10}$'
            OR entry ->> 'currency' = ANY (seen) THEN
            RETURN false;
        END IF;
        seen := seen || (entry ->> 'currency');
        IF jsonb_typeof(entry -> 'class') <> 'string' OR entry ->> 'class' NOT IN ('fiat', 'crypto') THEN
            RETURN false;
        END IF;
        IF jsonb_typeof(entry -> 'scale') <> 'number' OR entry ->> 'scale' !~ '^[0-9]{1,2}$' THEN
            RETURN false;
        END IF;
        IF (entry ->> 'scale')::integer > 18 THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END
$$;
COMMENT ON FUNCTION currency_table_valid(jsonb) IS
    'Whether a tenant''s currency entries have the shape keygate writes: an array of objects holding exactly '
    'a currency code (unique in the array), its class (fiat or crypto) and its scale (an integer, 0 to 18).';

-- Keys --------------------------------------------------------------------------------------------

ALTER TABLE keys
    ADD COLUMN amounts jsonb NULL,
    ADD COLUMN currency_class text NULL,
    ADD COLUMN pending_amounts jsonb NULL,
    ADD COLUMN pending_currency_class text NULL;

-- An unset bound is left out (jsonb_strip_nulls), as keygate writes it; numeric's text keeps the scale.
UPDATE keys SET
    amounts = CASE
        WHEN currency IS NULL THEN '[]'::jsonb
        ELSE jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
            'currency', currency, 'max_amount', max_amount::text, 'daily_volume', daily_volume::text)))
    END,
    pending_amounts = CASE
        WHEN pending_scopes IS NULL THEN NULL
        WHEN pending_currency IS NULL THEN '[]'::jsonb
        ELSE jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
            'currency', pending_currency, 'max_amount', pending_max_amount::text,
            'daily_volume', pending_daily_volume::text)))
    END;

-- Dropped by name rather than left to DROP COLUMN, which would also drop keys_pending_whole silently.
ALTER TABLE keys
    DROP CONSTRAINT keys_currency_shape,
    DROP CONSTRAINT keys_max_amount_positive,
    DROP CONSTRAINT keys_amounts_bounded,
    DROP CONSTRAINT keys_daily_volume_positive,
    DROP CONSTRAINT keys_amounts_need_currency,
    DROP CONSTRAINT keys_max_within_daily,
    DROP CONSTRAINT keys_pending_currency_shape,
    DROP CONSTRAINT keys_pending_max_amount_positive,
    DROP CONSTRAINT keys_pending_amounts_bounded,
    DROP CONSTRAINT keys_pending_daily_volume_positive,
    DROP CONSTRAINT keys_pending_amounts_need_currency,
    DROP CONSTRAINT keys_pending_max_within_daily,
    DROP CONSTRAINT keys_pending_whole,
    DROP COLUMN currency,
    DROP COLUMN max_amount,
    DROP COLUMN daily_volume,
    DROP COLUMN pending_currency,
    DROP COLUMN pending_max_amount,
    DROP COLUMN pending_daily_volume;

ALTER TABLE keys
    ALTER COLUMN amounts SET NOT NULL,
    ADD CONSTRAINT keys_amounts_valid CHECK (amount_limits_valid(amounts)),
    ADD CONSTRAINT keys_currency_class_known CHECK (currency_class IN ('fiat', 'crypto')),
    ADD CONSTRAINT keys_pending_amounts_valid CHECK (amount_limits_valid(pending_amounts)),
    ADD CONSTRAINT keys_pending_currency_class_known CHECK (pending_currency_class IN ('fiat', 'crypto')),
    ADD CONSTRAINT keys_pending_whole CHECK (
        (pending_scopes IS NULL) = (pending_allowed_ips IS NULL)
        AND (pending_scopes IS NULL) = (pending_amounts IS NULL)
        AND (pending_scopes IS NULL) = (pending_requested_by IS NULL)
        AND (pending_scopes IS NULL) = (pending_requested_at IS NULL)
        AND (pending_scopes IS NOT NULL OR pending_currency_class IS NULL)
    );
COMMENT ON COLUMN keys.amounts IS
    'Limits::amounts: per currency, the most one operation and each day, week and month may move, as '
    '[{"currency": "USDT", "max_amount": "5", "daily_volume": "50", ...}], an unset bound absent; amounts '
    'are decimal strings, exact to the digit. Empty: any currency (of currency_class), no amount limit.';
COMMENT ON COLUMN keys.currency_class IS
    'Limits::currency_class: the only class of currency the key may move; NULL: either class.';
COMMENT ON COLUMN keys.pending_amounts IS 'As amounts, for the pending privilege change; NULL when none is pending.';
COMMENT ON COLUMN keys.pending_currency_class IS 'As currency_class, for the pending privilege change.';
COMMENT ON CONSTRAINT keys_amounts_valid ON keys IS
    'The shape amount_limits_valid describes; the domain''s Limits::new and AmountLimit::new say it first.';
COMMENT ON CONSTRAINT keys_currency_class_known ON keys IS 'A CurrencyClass name.';
COMMENT ON CONSTRAINT keys_pending_amounts_valid ON keys IS 'As keys_amounts_valid, for a pending change.';
COMMENT ON CONSTRAINT keys_pending_currency_class_known ON keys IS
    'As keys_currency_class_known, for a pending change.';
COMMENT ON CONSTRAINT keys_pending_whole ON keys IS
    'A pending privilege change is whole (scopes, networks, amounts, who and when; a class if it has one) or absent.';

-- Tenants -----------------------------------------------------------------------------------------

-- The defaults only fill the rows already there (UTC and no entries of its own, as a new tenant gets
-- them); keygate always writes both.
ALTER TABLE tenants
    ADD COLUMN timezone text NOT NULL DEFAULT 'UTC',
    ADD COLUMN currencies jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN pending_timezone text NULL,
    ADD COLUMN pending_currency text NULL,
    ADD COLUMN pending_currency_class text NULL,
    ADD COLUMN pending_currency_scale smallint NULL,
    ADD COLUMN timezone_from text NULL,
    ADD COLUMN timezone_effective_at timestamptz NULL,
    DROP CONSTRAINT tenants_pending_whole,
    ADD CONSTRAINT tenants_timezone_shape CHECK (timezone ~ '^[A-Za-z][A-Za-z0-9_+/-]{0,63}$'),
    ADD CONSTRAINT tenants_currencies_valid CHECK (currency_table_valid(currencies)),
    ADD CONSTRAINT tenants_pending_timezone_shape CHECK (pending_timezone ~ '^[A-Za-z][A-Za-z0-9_+/-]{0,63}$'),
    ADD CONSTRAINT tenants_pending_currency_shape CHECK (pending_currency ~ '^[A-Z0-9]{2,10}$'),
    ADD CONSTRAINT tenants_pending_currency_class_known CHECK (pending_currency_class IN ('fiat', 'crypto')),
    ADD CONSTRAINT tenants_pending_currency_scale_range CHECK (pending_currency_scale BETWEEN 0 AND 18),
    ADD CONSTRAINT tenants_pending_currency_whole CHECK (
        (pending_currency IS NULL) = (pending_currency_class IS NULL)
        AND (pending_currency IS NULL) = (pending_currency_scale IS NULL)
    ),
    ADD CONSTRAINT tenants_pending_whole CHECK (
        (pending_requested_by IS NULL) = (pending_requested_for IS NULL)
        AND (pending_requested_by IS NULL) = (pending_requested_at IS NULL)
        AND (pending_requested_by IS NOT NULL
             OR (pending_dual_control IS NULL AND pending_live_enabled IS NULL
                 AND pending_max_key_lifetime_set IS NULL AND pending_max_key_lifetime_days IS NULL
                 AND pending_allow_never_expiring IS NULL AND pending_integrator_approvals IS NULL
                 AND pending_timezone IS NULL AND pending_currency IS NULL))
    ),
    ADD CONSTRAINT tenants_timezone_from_shape CHECK (timezone_from ~ '^[A-Za-z][A-Za-z0-9_+/-]{0,63}$'),
    ADD CONSTRAINT tenants_timezone_change_whole CHECK ((timezone_from IS NULL) = (timezone_effective_at IS NULL));
ALTER TABLE tenants
    ALTER COLUMN timezone DROP DEFAULT,
    ALTER COLUMN currencies DROP DEFAULT;
COMMENT ON COLUMN tenants.timezone IS
    'TenantPolicy::timezone: the IANA name whose local calendar bounds the tenant''s days, weeks and months.';
COMMENT ON COLUMN tenants.currencies IS
    'TenantPolicy::currencies: the tenant''s own entries over keygate''s built-in table, as '
    '[{"currency": "USDT", "class": "crypto", "scale": 6}]; empty: the built-in table alone.';
COMMENT ON COLUMN tenants.pending_timezone IS 'NULL: the pending widening leaves the time zone alone.';
COMMENT ON COLUMN tenants.pending_currency IS
    'The one currency entry a pending widening adds or replaces, with pending_currency_class and '
    'pending_currency_scale; NULL: it leaves the table alone.';
COMMENT ON COLUMN tenants.timezone_from IS
    'A decided change of time zone not yet in effect (TimezoneChange): windows are reckoned in this zone '
    'until timezone_effective_at, then in timezone.';
COMMENT ON COLUMN tenants.timezone_effective_at IS 'When the change from timezone_from takes effect.';
COMMENT ON CONSTRAINT tenants_timezone_shape ON tenants IS
    'Looks like an IANA name; whether the zone exists is for Timezone::parse (keygate''s tz database, not '
    'the server''s).';
COMMENT ON CONSTRAINT tenants_currencies_valid ON tenants IS 'The shape currency_table_valid describes.';
COMMENT ON CONSTRAINT tenants_pending_timezone_shape ON tenants IS
    'As tenants_timezone_shape, for a pending widening.';
COMMENT ON CONSTRAINT tenants_pending_currency_shape ON tenants IS
    'A currency code: 2 to 10 upper-case letters or digits.';
COMMENT ON CONSTRAINT tenants_pending_currency_class_known ON tenants IS 'A CurrencyClass name.';
COMMENT ON CONSTRAINT tenants_pending_currency_scale_range ON tenants IS 'CurrencySpec::new: at most 18 decimals.';
COMMENT ON CONSTRAINT tenants_pending_currency_whole ON tenants IS
    'A pending currency entry is code, class and scale, or absent.';
COMMENT ON CONSTRAINT tenants_pending_whole ON tenants IS
    'A pending policy names who asked, for whom and when, or there is no pending policy at all; it may ask '
    'for any one setting alone, a time zone or a currency entry included.';
COMMENT ON CONSTRAINT tenants_timezone_from_shape ON tenants IS
    'As tenants_timezone_shape, for the zone still in force.';
COMMENT ON CONSTRAINT tenants_timezone_change_whole ON tenants IS
    'A scheduled change names the zone in force and its instant.';
