-- Service credentials: the gateways and services that ask /v1/verify. Global (not a tenant's): a
-- service may serve several tenants, or all of them.

CREATE TABLE services (
    service_id  text COLLATE "C" NOT NULL,
    name        text NOT NULL,
    all_tenants boolean NOT NULL,
    tenants     text[] NOT NULL DEFAULT '{}',
    token_hash  bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    disabled_at timestamptz NULL,
    CONSTRAINT services_pkey PRIMARY KEY (service_id),
    CONSTRAINT services_token_hash_length CHECK (octet_length(token_hash) = 32),
    CONSTRAINT services_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT services_scope CHECK (all_tenants = (cardinality(tenants) = 0))
);
COMMENT ON TABLE services IS
    'Credentials of services asking /v1/verify; only the hash of each token. Disabling sets disabled_at.';
COMMENT ON CONSTRAINT services_scope ON services IS
    'Either every tenant (no list) or a non-empty list of tenants.';
