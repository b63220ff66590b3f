-- Sub-accounts: the account inside its tenant a key is bound to (Key::account; NULL is a key of the
-- whole tenant), whether a tenant requires one on every new key (TenantPolicy::require_account; off by
-- default, on is the narrow end), and the same setting in a pending policy change.

ALTER TABLE keys
    ADD COLUMN account_id text COLLATE "C" NULL,
    ADD CONSTRAINT keys_account_shape CHECK (account_id ~ '^[A-Za-z0-9._:-]{1,64}$');

COMMENT ON COLUMN keys.account_id IS
    'Key::account: the account inside the tenant the key is bound to; NULL for a key of the whole tenant. Never changes.';
COMMENT ON CONSTRAINT keys_account_shape ON keys IS 'AccountId::parse: 1 to 64 of A-Z, a-z, 0-9, ., _, : and -.';

-- The listing filtered by account (GET .../keys?account_id=), in the listing's own order. Keys of the
-- whole tenant are never asked for by account, so they are left out of it.
CREATE INDEX keys_by_account ON keys (tenant_id, account_id, created_at, key_id) WHERE account_id IS NOT NULL;

ALTER TABLE tenants
    ADD COLUMN require_account boolean NOT NULL DEFAULT false,
    ADD COLUMN pending_require_account boolean NULL,
    ADD CONSTRAINT tenants_pending_require_account_whole
        CHECK (pending_require_account IS NULL OR pending_requested_by IS NOT NULL);
ALTER TABLE tenants ALTER COLUMN require_account DROP DEFAULT;

COMMENT ON COLUMN tenants.require_account IS 'TenantPolicy::require_account: every new key must name an account.';
COMMENT ON COLUMN tenants.pending_require_account IS 'The require_account a pending policy change asks for.';
COMMENT ON CONSTRAINT tenants_pending_require_account_whole ON tenants IS
    'A pending require_account is part of a pending policy change.';
