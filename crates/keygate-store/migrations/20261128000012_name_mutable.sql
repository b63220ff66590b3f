-- Whether a tenant lets key names change after creation (TenantPolicy::name_mutable; off, the narrow
-- end, by default), and the same setting in a pending policy change.

ALTER TABLE tenants
    ADD COLUMN name_mutable boolean NOT NULL DEFAULT false,
    ADD COLUMN pending_name_mutable boolean NULL,
    ADD CONSTRAINT tenants_pending_name_mutable_whole CHECK (pending_name_mutable IS NULL OR pending_requested_by IS NOT NULL);
ALTER TABLE tenants ALTER COLUMN name_mutable DROP DEFAULT;

COMMENT ON COLUMN tenants.name_mutable IS 'TenantPolicy::name_mutable: key names may change after creation.';
COMMENT ON COLUMN tenants.pending_name_mutable IS 'The name_mutable a pending policy change asks for.';
COMMENT ON CONSTRAINT tenants_pending_name_mutable_whole ON tenants IS
    'A pending name_mutable is part of a pending policy change.';
