-- Secrets revealed after approval (the first seed): a tenant's choice of when a new key's secret is
-- drawn (TenantPolicy::reveal: on_create, the default, or after_approval, the narrow end) and how long
-- an approved key's secret may still be revealed (reveal_window_hours, default 72), with the same two
-- settings in a pending policy change; and on each key where its reveal stands (Key::reveal). A key
-- whose secret is revealed after approval has no hash and no masked form until its reveal.

ALTER TABLE tenants
    ADD COLUMN reveal text NOT NULL DEFAULT 'on_create',
    ADD COLUMN reveal_window_hours integer NOT NULL DEFAULT 72,
    ADD COLUMN pending_reveal text NULL,
    ADD COLUMN pending_reveal_window_hours integer NULL,
    ADD CONSTRAINT tenants_reveal_value CHECK (reveal IN ('on_create', 'after_approval')),
    ADD CONSTRAINT tenants_reveal_window_range CHECK (reveal_window_hours BETWEEN 1 AND 720),
    ADD CONSTRAINT tenants_pending_reveal_whole CHECK (
        (pending_reveal IS NULL AND pending_reveal_window_hours IS NULL) OR pending_requested_by IS NOT NULL);
ALTER TABLE tenants ALTER COLUMN reveal DROP DEFAULT, ALTER COLUMN reveal_window_hours DROP DEFAULT;

COMMENT ON COLUMN tenants.reveal IS 'TenantPolicy::reveal: on_create or after_approval.';
COMMENT ON COLUMN tenants.reveal_window_hours IS 'TenantPolicy::reveal_window_hours: 1 to 720.';
COMMENT ON COLUMN tenants.pending_reveal IS 'The reveal a pending policy change asks for.';
COMMENT ON COLUMN tenants.pending_reveal_window_hours IS 'The reveal_window_hours a pending policy change asks for.';

ALTER TABLE keys
    ALTER COLUMN secret_hash DROP NOT NULL,
    ALTER COLUMN masked DROP NOT NULL,
    ADD COLUMN reveal_state text NULL,
    ADD COLUMN reveal_until timestamptz NULL,
    ADD COLUMN revealed_at timestamptz NULL,
    ADD CONSTRAINT keys_reveal_shape CHECK (
        (reveal_state IS NULL AND reveal_until IS NULL AND revealed_at IS NULL)
        OR (reveal_state = 'awaiting_approval' AND reveal_until IS NULL AND revealed_at IS NULL)
        OR (reveal_state = 'open' AND reveal_until IS NOT NULL AND revealed_at IS NULL)
        OR (reveal_state = 'revealed' AND reveal_until IS NULL AND revealed_at IS NOT NULL)),
    -- The hash and masked form exist exactly when the key has a secret.
    ADD CONSTRAINT keys_secret_when_drawn CHECK (
        ((reveal_state IS NULL OR reveal_state = 'revealed') AND secret_hash IS NOT NULL AND masked IS NOT NULL)
        OR (reveal_state IN ('awaiting_approval', 'open') AND secret_hash IS NULL AND masked IS NULL));

COMMENT ON COLUMN keys.reveal_state IS
    'Key::reveal: NULL (secret drawn at creation), awaiting_approval, open (until reveal_until) or revealed (at revealed_at).';
COMMENT ON CONSTRAINT keys_secret_when_drawn ON keys IS
    'A key has a secret hash from creation, or from its reveal; never before, never replaced.';
