-- keygate's schema, first version.
--
-- Every table carries tenant_id in its primary key, so tenants can later be sharded (by tenant_id)
-- without changing the schema. Identifiers (tenant, key, operator ids) are stored as their text form
-- with COLLATE "C": byte order, so fixed-width base62 ids sort exactly like the bytes they encode, as the
-- in-memory store sorts them. CHECK constraints repeat the domain's rules as a second line of defence:
-- the Rust types already refuse invalid values, the database refuses them again if a bug slips by.

-- Tenants -----------------------------------------------------------------------------------------

CREATE TABLE tenants (
    tenant_id               text COLLATE "C" NOT NULL,
    name                    text NOT NULL,
    dual_control            boolean NOT NULL,
    live_enabled            boolean NOT NULL,
    max_key_lifetime_days   bigint NULL,
    allow_never_expiring    boolean NOT NULL,
    version                 bigint NOT NULL,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    CONSTRAINT tenants_pkey PRIMARY KEY (tenant_id),
    CONSTRAINT tenants_id_shape CHECK (tenant_id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    CONSTRAINT tenants_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT tenants_lifetime_range CHECK (max_key_lifetime_days BETWEEN 0 AND 4294967295),
    CONSTRAINT tenants_version_range CHECK (version >= 0)
);
COMMENT ON TABLE tenants IS
    'A distributor, merchant or account keys work for, with its key policy (TenantPolicy).';
COMMENT ON COLUMN tenants.max_key_lifetime_days IS 'NULL: no cap beyond keygate''s own ten years.';
COMMENT ON COLUMN tenants.version IS
    'Compare-and-set token: an update applies only if the version is still the one the caller read.';
COMMENT ON CONSTRAINT tenants_pkey ON tenants IS 'One row per tenant; a second create_tenant is AlreadyExists.';
COMMENT ON CONSTRAINT tenants_id_shape ON tenants IS 'TenantId::parse: 1 to 64 of a-z, 0-9, - and _.';
COMMENT ON CONSTRAINT tenants_lifetime_range ON tenants IS 'Fits the domain''s u32.';

-- Operators ---------------------------------------------------------------------------------------

CREATE TABLE operators (
    tenant_id    text COLLATE "C" NOT NULL,
    operator_id  text COLLATE "C" NOT NULL,
    name         text NOT NULL,
    email        text NOT NULL,
    roles        text[] NOT NULL,
    token_hash   bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    CONSTRAINT operators_pkey PRIMARY KEY (tenant_id, operator_id),
    CONSTRAINT operators_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id),
    CONSTRAINT operators_email_unique UNIQUE (tenant_id, email),
    CONSTRAINT operators_id_unique UNIQUE (operator_id),
    CONSTRAINT operators_id_shape CHECK (operator_id ~ '^[0-9A-Za-z]{22}$'),
    CONSTRAINT operators_roles_known CHECK (roles <@ ARRAY['maker', 'checker', 'admin', 'auditor']::text[]),
    CONSTRAINT operators_token_hash_length CHECK (octet_length(token_hash) = 32)
);
COMMENT ON TABLE operators IS 'People or systems acting on one tenant. Only the hash of their token is kept.';
COMMENT ON CONSTRAINT operators_tenant_fkey ON operators IS 'An operator of an unknown tenant is NotFound.';
COMMENT ON CONSTRAINT operators_email_unique ON operators IS
    'E-mail (stored lower-cased) unique per tenant: a second one is AlreadyExists.';
COMMENT ON CONSTRAINT operators_id_unique ON operators IS
    'Look-up by operator id alone, to authenticate a token whose tenant is not known yet.';
COMMENT ON CONSTRAINT operators_roles_known ON operators IS 'Every element is a Role name.';
COMMENT ON CONSTRAINT operators_token_hash_length ON operators IS 'A SecretHash is 32 bytes.';

-- Keys --------------------------------------------------------------------------------------------

CREATE TABLE keys (
    tenant_id                 text COLLATE "C" NOT NULL,
    key_id                    text COLLATE "C" NOT NULL,
    name                      text NOT NULL,
    notes                     text NULL,
    environment               text NOT NULL,
    scopes                    text[] NOT NULL,
    currency                  text NULL,
    max_amount                numeric         NULL,
    daily_volume              numeric         NULL,
    allowed_ips               inet[] NOT NULL,
    expires_at                timestamptz NULL,
    state                     text NOT NULL,
    created_by                text NOT NULL,
    approved_by               text NULL,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL,
    revocation_requested_by   text NULL,
    revocation_reason         text NULL,
    revocation_requested_at   timestamptz NULL,
    pending_scopes            text[] NULL,
    pending_currency          text NULL,
    pending_max_amount        numeric         NULL,
    pending_daily_volume      numeric         NULL,
    pending_allowed_ips       inet[] NULL,
    pending_requested_by      text NULL,
    pending_requested_at      timestamptz NULL,
    replaces_key_id           text COLLATE "C" NULL,
    rotation_overlap_seconds  bigint NULL,
    version                   bigint NOT NULL,
    secret_hash               bytea NOT NULL,
    masked                    text NOT NULL,
    last_used_at              timestamptz NULL,
    last_used_ip              inet NULL,
    CONSTRAINT keys_pkey PRIMARY KEY (tenant_id, key_id),
    CONSTRAINT keys_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id),
    CONSTRAINT keys_name_unique UNIQUE (tenant_id, name),
    CONSTRAINT keys_id_unique UNIQUE (key_id),
    CONSTRAINT keys_id_shape CHECK (key_id ~ '^[0-9A-Za-z]{22}$'),
    CONSTRAINT keys_name_length CHECK (char_length(name) BETWEEN 1 AND 64),
    CONSTRAINT keys_notes_length CHECK (char_length(notes) BETWEEN 1 AND 1000),
    CONSTRAINT keys_environment_known CHECK (environment IN ('test', 'live')),
    CONSTRAINT keys_state_known CHECK (
        state IN ('pending_approval', 'active', 'rejected', 'revocation_pending', 'revoked')
    ),
    CONSTRAINT keys_scopes_count CHECK (cardinality(scopes) BETWEEN 1 AND 64),
    CONSTRAINT keys_currency_shape CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT keys_max_amount_positive CHECK (max_amount > 0),
    CONSTRAINT keys_amounts_bounded CHECK (
        scale(max_amount) <= 18 AND max_amount < 1e18 AND scale(daily_volume) <= 18 AND daily_volume < 1e18
    ),
    CONSTRAINT keys_daily_volume_positive CHECK (daily_volume > 0),
    CONSTRAINT keys_amounts_need_currency CHECK (
        currency IS NOT NULL OR (max_amount IS NULL AND daily_volume IS NULL)
    ),
    CONSTRAINT keys_max_within_daily CHECK (max_amount <= daily_volume),
    CONSTRAINT keys_allowed_ips_count CHECK (cardinality(allowed_ips) <= 256),
    CONSTRAINT keys_revocation_whole CHECK (
        (revocation_requested_by IS NULL) = (revocation_reason IS NULL)
        AND (revocation_requested_by IS NULL) = (revocation_requested_at IS NULL)
    ),
    CONSTRAINT keys_pending_whole CHECK (
        (pending_scopes IS NULL) = (pending_allowed_ips IS NULL)
        AND (pending_scopes IS NULL) = (pending_requested_by IS NULL)
        AND (pending_scopes IS NULL) = (pending_requested_at IS NULL)
        AND (pending_scopes IS NOT NULL
             OR (pending_currency IS NULL AND pending_max_amount IS NULL AND pending_daily_volume IS NULL))
    ),
    CONSTRAINT keys_pending_scopes_count CHECK (cardinality(pending_scopes) BETWEEN 1 AND 64),
    CONSTRAINT keys_pending_currency_shape CHECK (pending_currency ~ '^[A-Z]{3}$'),
    CONSTRAINT keys_pending_max_amount_positive CHECK (pending_max_amount > 0),
    CONSTRAINT keys_pending_amounts_bounded CHECK (
        scale(pending_max_amount) <= 18 AND pending_max_amount < 1e18
        AND scale(pending_daily_volume) <= 18 AND pending_daily_volume < 1e18
    ),
    CONSTRAINT keys_pending_daily_volume_positive CHECK (pending_daily_volume > 0),
    CONSTRAINT keys_pending_amounts_need_currency CHECK (
        pending_currency IS NOT NULL OR (pending_max_amount IS NULL AND pending_daily_volume IS NULL)
    ),
    CONSTRAINT keys_pending_max_within_daily CHECK (pending_max_amount <= pending_daily_volume),
    CONSTRAINT keys_pending_allowed_ips_count CHECK (cardinality(pending_allowed_ips) <= 256),
    CONSTRAINT keys_rotation_whole CHECK ((replaces_key_id IS NULL) = (rotation_overlap_seconds IS NULL)),
    CONSTRAINT keys_rotation_overlap_range CHECK (rotation_overlap_seconds BETWEEN 0 AND 4294967295),
    CONSTRAINT keys_version_positive CHECK (version > 0),
    CONSTRAINT keys_secret_hash_length CHECK (octet_length(secret_hash) = 32)
);
COMMENT ON TABLE keys IS
    'API keys: every field of the domain''s Key, the hash of the secret (never the secret), the masked '
    'form for listings, and the last use (written by the usage buffer, never by a key transition).';
COMMENT ON COLUMN keys.expires_at IS 'NULL: the key never expires.';
COMMENT ON COLUMN keys.allowed_ips IS 'Client networks (IpAllowList); empty: any address.';
COMMENT ON COLUMN keys.version IS
    'Bumped by every transition; an update applies only if the version is still the one the caller read.';
COMMENT ON CONSTRAINT keys_pkey ON keys IS 'A key within its tenant: every tenant-scoped read goes by it.';
COMMENT ON CONSTRAINT keys_tenant_fkey ON keys IS 'A key of an unknown tenant is NotFound.';
COMMENT ON CONSTRAINT keys_name_unique ON keys IS 'Names are unique per tenant: a second one is NameTaken.';
COMMENT ON CONSTRAINT keys_id_unique ON keys IS
    'The verifier finds a key by the id inside the token alone; ids are 128 random bits, unique overall.';
COMMENT ON CONSTRAINT keys_max_within_daily ON keys IS 'One operation must fit in a day (Limits::new).';
COMMENT ON CONSTRAINT keys_revocation_whole ON keys IS 'A revocation request is all three fields or none.';
COMMENT ON CONSTRAINT keys_pending_whole ON keys IS 'A pending privilege change is whole or absent.';
COMMENT ON CONSTRAINT keys_rotation_whole ON keys IS 'A rotation names the replaced key and the overlap.';
COMMENT ON CONSTRAINT keys_secret_hash_length ON keys IS 'A SecretHash is 32 bytes.';

CREATE INDEX keys_listing ON keys (tenant_id, created_at, key_id);
COMMENT ON INDEX keys_listing IS
    'The paginated listing: a tenant''s keys in (created_at, key_id) order, resumed after a cursor.';

-- Daily spend -------------------------------------------------------------------------------------

CREATE TABLE daily_spend (
    tenant_id  text COLLATE "C" NOT NULL,
    key_id     text COLLATE "C" NOT NULL,
    day        date NOT NULL,
    spent      numeric         NOT NULL,
    CONSTRAINT daily_spend_pkey PRIMARY KEY (tenant_id, key_id, day),
    CONSTRAINT daily_spend_key_fkey FOREIGN KEY (tenant_id, key_id) REFERENCES keys (tenant_id, key_id),
    CONSTRAINT daily_spend_not_negative CHECK (spent >= 0)
);
COMMENT ON TABLE daily_spend IS
    'Volume a key moved per UTC day, against its daily_volume. Changed only by one atomic conditional '
    'upsert per spend, so racing callers can never take a day over the limit.';
COMMENT ON CONSTRAINT daily_spend_pkey ON daily_spend IS 'One running total per key and day; the upsert target.';
COMMENT ON CONSTRAINT daily_spend_key_fkey ON daily_spend IS 'Spending on an unknown key is NotFound.';
COMMENT ON CONSTRAINT daily_spend_not_negative ON daily_spend IS 'A release never takes a day below zero.';

-- Usage -------------------------------------------------------------------------------------------

CREATE TABLE key_usage (
    tenant_id  text COLLATE "C" NOT NULL,
    key_id     text COLLATE "C" NOT NULL,
    day        date NOT NULL,
    requests   bigint NOT NULL,
    CONSTRAINT key_usage_pkey PRIMARY KEY (tenant_id, key_id, day),
    CONSTRAINT key_usage_key_fkey FOREIGN KEY (tenant_id, key_id) REFERENCES keys (tenant_id, key_id),
    CONSTRAINT key_usage_requests_not_negative CHECK (requests >= 0)
);
COMMENT ON TABLE key_usage IS
    'Verifications counted per key and UTC day, added in batches by the write-behind usage buffer.';
COMMENT ON CONSTRAINT key_usage_pkey ON key_usage IS 'One counter per key and day; the upsert target.';
COMMENT ON CONSTRAINT key_usage_key_fkey ON key_usage IS 'Usage belongs to a key that exists.';

-- Audit log ---------------------------------------------------------------------------------------

CREATE TABLE audit_log (
    tenant_id  text COLLATE "C" NOT NULL,
    seq        bigserial NOT NULL,
    key_id     text COLLATE "C" NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    reason     text NULL,
    at         timestamptz NOT NULL,
    CONSTRAINT audit_log_pkey PRIMARY KEY (tenant_id, seq),
    CONSTRAINT audit_log_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id),
    CONSTRAINT audit_log_reason_length CHECK (char_length(reason) BETWEEN 1 AND 500)
);
COMMENT ON TABLE audit_log IS
    'Append-only record of every change, written in the same transaction as the change it records. '
    'seq comes from one sequence shared by all tenants: increasing within a tenant, with gaps.';
COMMENT ON CONSTRAINT audit_log_pkey ON audit_log IS
    'A tenant''s log newest first (seq DESC), resumed before a cursor.';
COMMENT ON CONSTRAINT audit_log_tenant_fkey ON audit_log IS 'Entries belong to a tenant that exists.';

CREATE INDEX audit_log_by_key ON audit_log (tenant_id, key_id, seq DESC);
COMMENT ON INDEX audit_log_by_key IS 'One key''s history newest first, resumed before a cursor.';

-- The log is evidence (who approved which key, who revoked it, why): no one, not even keygate itself,
-- may rewrite or erase it through SQL. Changing it takes dropping this trigger, which is a schema change
-- that shows up in a migration and in the database's own logs.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
COMMENT ON FUNCTION audit_log_refuse_change() IS 'Raises on any UPDATE, DELETE or TRUNCATE of audit_log.';

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
COMMENT ON TRIGGER audit_log_append_only ON audit_log IS 'The log is evidence: rows are never changed or removed.';

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
COMMENT ON TRIGGER audit_log_no_truncate ON audit_log IS 'TRUNCATE would bypass the row trigger; refuse it too.';
