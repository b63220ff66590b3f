-- The request log: one row per verification of an existing key (RequestLine), written in batches
-- behind the answer, listed newest first per tenant and per key, and pruned by age.
--
-- Pruned by DELETE in bounded batches over an index on `at`, not partitioned by day: no DDL at run
-- time (no partition to create ahead of midnight, no ACCESS EXCLUSIVE lock on the parent to drop one),
-- several processes prune at once with FOR UPDATE SKIP LOCKED, and a tenant-sharded deployment keeps
-- the schema unchanged. The `at` index only ever grows at its right edge, so it costs an insert little.
-- At hundreds of millions of lines a day, day partitions (dropped whole) would be the next step.
--
-- No foreign key to `keys`: a line is only written for a key the verifier found, keys are never
-- deleted, and a check per row would cost every batch a look-up per line.

CREATE TABLE request_log (
    tenant_id       text COLLATE "C" NOT NULL,
    at              timestamptz NOT NULL,
    request_id      text COLLATE "C" NOT NULL,
    key_id          text COLLATE "C" NOT NULL,
    environment     text NOT NULL,
    account_id      text COLLATE "C" NULL,
    outcome         text COLLATE "C" NOT NULL,
    status          smallint NOT NULL,
    client_ip       inet NULL,
    required_scopes text[] NOT NULL,
    amount          numeric NULL,
    currency        text COLLATE "C" NULL,
    spend_id        text COLLATE "C" NULL,
    service_id      text COLLATE "C" NULL,
    latency_us      bigint NOT NULL,
    PRIMARY KEY (tenant_id, at, request_id),
    CONSTRAINT request_log_environment CHECK (environment IN ('test', 'live')),
    CONSTRAINT request_log_outcome_shape CHECK (outcome ~ '^[A-Z_]{1,32}$'),
    CONSTRAINT request_log_status CHECK (status BETWEEN 100 AND 599),
    CONSTRAINT request_log_latency CHECK (latency_us >= 0)
);

-- One key's lines (GET .../keys/{id}/requests, ?key_id=), newest first.
CREATE INDEX request_log_by_key ON request_log (tenant_id, key_id, at, request_id);
-- The prune task's range: every line older than the retention, whatever its tenant.
CREATE INDEX request_log_by_at ON request_log (at);

COMMENT ON TABLE request_log IS
    'RequestLine: one verification of one key (never the token, its secret or a hash), pruned after KEYGATE_REQUEST_LOG_DAYS.';
COMMENT ON COLUMN request_log.outcome IS 'OK or the refusal''s stable code.';
COMMENT ON COLUMN request_log.status IS 'The status the verdict carries (200 when allowed).';
COMMENT ON COLUMN request_log.environment IS 'The key''s environment, so an integrator key sees only its own environment''s lines.';
COMMENT ON COLUMN request_log.account_id IS 'The key''s account, so an account-bound integrator key sees only its account''s lines.';
