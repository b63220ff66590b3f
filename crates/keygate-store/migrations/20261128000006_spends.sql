-- Recorded spends: each amount held against a key's daily volume is kept, so it can be released by id
-- exactly once, and a client's idempotency key claims one spend for 24 hours, so a retried request
-- spends once. daily_spend stays the running total; a spend and its add to the total are written in
-- one transaction.

CREATE TABLE spends (
    tenant_id    text COLLATE "C" NOT NULL,
    spend_id     text COLLATE "C" NOT NULL,
    key_id       text COLLATE "C" NOT NULL,
    amount       numeric NOT NULL,
    currency     text NULL,
    day          date NOT NULL,
    state        text NOT NULL,
    created_at   timestamptz NOT NULL,
    released_at  timestamptz NULL,
    CONSTRAINT spends_pkey PRIMARY KEY (tenant_id, spend_id),
    CONSTRAINT spends_id_unique UNIQUE (spend_id),
    CONSTRAINT spends_key_fkey FOREIGN KEY (tenant_id, key_id) REFERENCES keys (tenant_id, key_id),
    CONSTRAINT spends_id_shape CHECK (spend_id ~ '^[0-9A-Za-z]{22}$'),
    CONSTRAINT spends_amount_positive CHECK (amount > 0),
    CONSTRAINT spends_currency_shape CHECK (currency ~ '^[A-Z0-9]{2,10}$'),
    CONSTRAINT spends_state_known CHECK (state IN ('held', 'released')),
    CONSTRAINT spends_released_whole CHECK ((state = 'released') = (released_at IS NOT NULL))
);
COMMENT ON TABLE spends IS
    'One row per recorded spend, counted in daily_spend (for its key and day) while held. A release '
    'moves it to released once, by a conditional update, and gives its amount back to its own day.';
COMMENT ON CONSTRAINT spends_id_unique ON spends IS
    'Read and released by spend id alone; a second spend with a taken id is AlreadyExists.';
COMMENT ON CONSTRAINT spends_key_fkey ON spends IS 'A spend belongs to a key of its tenant.';
COMMENT ON CONSTRAINT spends_amount_positive ON spends IS 'A spend moves a positive amount.';
COMMENT ON CONSTRAINT spends_released_whole ON spends IS 'released_at is set exactly when it is released.';

CREATE TABLE spend_idempotency (
    tenant_id        text COLLATE "C" NOT NULL,
    key_id           text COLLATE "C" NOT NULL,
    idempotency_key  text NOT NULL,
    spend_id         text COLLATE "C" NOT NULL,
    fingerprint      bytea NOT NULL,
    created_at       timestamptz NOT NULL,
    CONSTRAINT spend_idempotency_pkey PRIMARY KEY (tenant_id, key_id, idempotency_key),
    CONSTRAINT spend_idempotency_key_fkey FOREIGN KEY (tenant_id, key_id) REFERENCES keys (tenant_id, key_id),
    CONSTRAINT spend_idempotency_spend_fkey FOREIGN KEY (tenant_id, spend_id) REFERENCES spends (tenant_id, spend_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT spend_idempotency_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 128),
    CONSTRAINT spend_idempotency_fingerprint_length CHECK (octet_length(fingerprint) = 32)
);
COMMENT ON TABLE spend_idempotency IS
    'A client''s idempotency key, per key, claiming the spend its first request recorded. Claimed by '
    'INSERT ... ON CONFLICT DO UPDATE in the spend''s transaction, so racing requests with one key wait '
    'on each other and one spends; a claim older than 24 hours is replaced by the next request.';
COMMENT ON COLUMN spend_idempotency.fingerprint IS
    'SHA-256 of what the request asked: the same key with another fingerprint is a mismatch.';
COMMENT ON CONSTRAINT spend_idempotency_spend_fkey ON spend_idempotency IS
    'The claim is taken before its spend row is written (the claim is what serialises retries), so the '
    'reference is checked at commit.';
