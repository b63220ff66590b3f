-- Webhooks: a tenant's endpoints (their signing secrets sealed, never in clear), the outbox of events
-- written in the same transaction as the change each announces, each key's event sequence, and the
-- deliveries: one row per attempt, the pending ones being the queue several processes claim from.

CREATE TABLE webhooks (
    tenant_id text COLLATE "C" NOT NULL REFERENCES tenants (tenant_id),
    webhook_id text COLLATE "C" NOT NULL,
    url text NOT NULL,
    events text[] NOT NULL,
    description text NULL,
    status text NOT NULL,
    disabled_by text NULL,
    created_by text NOT NULL,
    created_for text NOT NULL,
    pending_url text NULL,
    pending_events text[] NULL,
    pending_enable boolean NULL,
    pending_requested_by text NULL,
    pending_requested_for text NULL,
    pending_requested_at timestamptz NULL,
    failing_since timestamptz NULL,
    secret bytea NOT NULL,
    previous_secret bytea NULL,
    previous_secret_until timestamptz NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (tenant_id, webhook_id),
    CONSTRAINT webhooks_id_unique UNIQUE (webhook_id),
    CONSTRAINT webhooks_status CHECK (status IN ('pending_approval', 'active', 'disabled')),
    CONSTRAINT webhooks_disabled_by CHECK ((status = 'disabled') = (disabled_by IS NOT NULL)
        AND (disabled_by IS NULL OR disabled_by IN ('operator', 'failures'))),
    CONSTRAINT webhooks_events CHECK (cardinality(events) BETWEEN 1 AND 32),
    CONSTRAINT webhooks_pending_whole CHECK (
        (pending_url IS NULL) = (pending_events IS NULL)
        AND (pending_url IS NULL) = (pending_enable IS NULL)
        AND (pending_url IS NULL) = (pending_requested_by IS NULL)
        AND (pending_url IS NULL) = (pending_requested_for IS NULL)
        AND (pending_url IS NULL) = (pending_requested_at IS NULL)),
    CONSTRAINT webhooks_previous_whole CHECK ((previous_secret IS NULL) = (previous_secret_until IS NULL))
);

COMMENT ON TABLE webhooks IS 'A tenant''s webhook endpoints (keygate_domain::webhook::Webhook).';
COMMENT ON COLUMN webhooks.secret IS
    'The signing secret sealed with XChaCha20-Poly1305 under KEYGATE_WEBHOOK_KEY, bound to webhook_id: nonce (24 bytes) then ciphertext and tag.';
COMMENT ON COLUMN webhooks.previous_secret IS 'The secret a rotation replaced; it signs alongside until previous_secret_until.';

CREATE TABLE webhook_events (
    tenant_id text COLLATE "C" NOT NULL REFERENCES tenants (tenant_id),
    event_id text COLLATE "C" NOT NULL,
    event_type text NOT NULL,
    action text NULL,
    key_id text COLLATE "C" NULL,
    actor text NOT NULL,
    key_state text NULL,
    sequence bigint NULL,
    audit_seq bigint NULL,
    reason text NULL,
    details text NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, event_id),
    CONSTRAINT webhook_events_id_unique UNIQUE (event_id)
);

COMMENT ON TABLE webhook_events IS
    'The outbox: one row per event announced to at least one endpoint, written in the transaction of the change it announces.';
COMMENT ON COLUMN webhook_events.sequence IS 'data.sequence: the key''s events numbered 1, 2, 3... (webhook_sequences).';

CREATE TABLE webhook_sequences (
    tenant_id text COLLATE "C" NOT NULL,
    key_id text COLLATE "C" NOT NULL,
    last bigint NOT NULL,
    PRIMARY KEY (tenant_id, key_id)
);

COMMENT ON TABLE webhook_sequences IS 'The last data.sequence given to a key''s event.';

CREATE TABLE webhook_deliveries (
    tenant_id text COLLATE "C" NOT NULL,
    delivery_id text COLLATE "C" NOT NULL,
    webhook_id text COLLATE "C" NOT NULL,
    event_id text COLLATE "C" NOT NULL,
    attempt integer NOT NULL,
    status text NOT NULL,
    response_status integer NULL,
    response_body text NULL,
    latency_ms bigint NULL,
    error text NULL,
    next_attempt_at timestamptz NULL,
    lease_token text NULL,
    lease_until timestamptz NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, delivery_id),
    CONSTRAINT webhook_deliveries_id_unique UNIQUE (delivery_id),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, webhook_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, event_id) REFERENCES webhook_events (tenant_id, event_id),
    CONSTRAINT webhook_deliveries_attempt CHECK (attempt >= 1),
    CONSTRAINT webhook_deliveries_status CHECK (status IN ('pending', 'delivered', 'failed')),
    CONSTRAINT webhook_deliveries_pending_due CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL)
);

COMMENT ON TABLE webhook_deliveries IS
    'One row per attempt; a pending row is due at next_attempt_at and claimed FOR UPDATE SKIP LOCKED under a lease (lease_token until lease_until).';

-- The claim: pending rows in due order.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- The delivery log, newest first.
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, webhook_id, created_at DESC, delivery_id DESC);
