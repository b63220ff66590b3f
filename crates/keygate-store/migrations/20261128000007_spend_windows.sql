-- Spending windows: a spend is charged to the day, the ISO week and the month that contain it, in the
-- tenant's time zone, per currency, all three or none. spend_totals replaces daily_spend (which kept
-- one UTC day per key, whatever the currency), and each spend keeps the start of each window it was
-- charged to, so a release gives back to exactly those.

CREATE TABLE spend_totals (
    tenant_id    text COLLATE "C" NOT NULL,
    key_id       text COLLATE "C" NOT NULL,
    currency     text COLLATE "C" NOT NULL,
    window_kind  text NOT NULL,
    starts_on    date NOT NULL,
    spent        numeric NOT NULL,
    CONSTRAINT spend_totals_pkey PRIMARY KEY (tenant_id, key_id, currency, window_kind, starts_on),
    CONSTRAINT spend_totals_key_fkey FOREIGN KEY (tenant_id, key_id) REFERENCES keys (tenant_id, key_id),
    CONSTRAINT spend_totals_currency_shape CHECK (currency = '' OR currency ~ '^[A-Z0-9]{2,10}$'),
    CONSTRAINT spend_totals_window_known CHECK (window_kind IN ('day', 'week', 'month')),
    CONSTRAINT spend_totals_window_start CHECK (
        (window_kind <> 'week' OR extract(isodow FROM starts_on) = 1)
        AND (window_kind <> 'month' OR extract(day FROM starts_on) = 1)),
    CONSTRAINT spend_totals_not_negative CHECK (spent >= 0)
);
COMMENT ON TABLE spend_totals IS
    'Volume a key moved per currency and window (its local day, ISO week and month), against that '
    'window''s limit. A spend adds to its three windows in one INSERT ... ON CONFLICT DO UPDATE ... WHERE '
    'total + amount <= limit, rows taken day, week, month (one lock order, so spends cannot deadlock), '
    'and its transaction rolls back unless all three came back: racing spends never take a window over '
    'its limit, and a refused spend changes no window.';
COMMENT ON COLUMN spend_totals.currency IS
    'The spends'' currency code, or the empty string for spends without a currency (a currency of its '
    'own; the empty string rather than NULL so it can be part of the primary key).';
COMMENT ON COLUMN spend_totals.window_kind IS 'day, week (ISO, Monday first) or month.';
COMMENT ON COLUMN spend_totals.starts_on IS
    'The local date the window starts on, in the tenant''s time zone when the spend was made.';
COMMENT ON CONSTRAINT spend_totals_pkey ON spend_totals IS
    'One running total per key, currency, window and start; the upsert target.';
COMMENT ON CONSTRAINT spend_totals_key_fkey ON spend_totals IS 'Spending on an unknown key is NotFound.';
COMMENT ON CONSTRAINT spend_totals_currency_shape ON spend_totals IS
    'A currency code (as keys_currency_shape), or the empty string for none.';
COMMENT ON CONSTRAINT spend_totals_window_start ON spend_totals IS
    'A week starts on a Monday, a month on the first.';
COMMENT ON CONSTRAINT spend_totals_not_negative ON spend_totals IS 'A release never takes a window below zero.';

-- Every tenant reckoned in UTC until now, and a key's daily total was in the key's currency. The week
-- and month totals are the days' added up, so a release of a spend made before this migration gives
-- back to a week and a month that hold it.
INSERT INTO spend_totals (tenant_id, key_id, currency, window_kind, starts_on, spent)
SELECT d.tenant_id, d.key_id, COALESCE(k.currency, ''), w.kind, w.starts_on, sum(d.spent)
FROM daily_spend d
JOIN keys k ON k.tenant_id = d.tenant_id AND k.key_id = d.key_id
CROSS JOIN LATERAL (VALUES
    ('day', d.day),
    ('week', date_trunc('week', d.day::timestamp)::date),
    ('month', date_trunc('month', d.day::timestamp)::date)) AS w (kind, starts_on)
GROUP BY d.tenant_id, d.key_id, COALESCE(k.currency, ''), w.kind, w.starts_on;

DROP TABLE daily_spend;

ALTER TABLE spends ADD COLUMN week date, ADD COLUMN month date;
UPDATE spends SET
    week = date_trunc('week', day::timestamp)::date,
    month = date_trunc('month', day::timestamp)::date;
ALTER TABLE spends
    ALTER COLUMN week SET NOT NULL,
    ALTER COLUMN month SET NOT NULL,
    ADD CONSTRAINT spends_windows_contain_day CHECK (
        week = day - (extract(isodow FROM day)::integer - 1)
        AND month = date_trunc('month', day::timestamp)::date);
COMMENT ON TABLE spends IS
    'One row per recorded spend, counted in spend_totals (its key and currency, in the windows starting '
    'on day, week and month) while held. A release moves it to released once, by a conditional update, '
    'and gives its amount back to those three windows.';
COMMENT ON COLUMN spends.day IS 'The local date its day window starts on (the spend''s day, in the tenant''s time zone).';
COMMENT ON COLUMN spends.week IS 'The Monday its ISO week window starts on.';
COMMENT ON COLUMN spends.month IS 'The first of its month window.';
COMMENT ON CONSTRAINT spends_windows_contain_day ON spends IS
    'The week and month are those of its day: the windows of one instant.';
