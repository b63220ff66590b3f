-- What a tenant does with a key reported leaked (TenantPolicy::on_leak), and the same setting in a
-- pending policy change (notify is the wide end, so moving to it waits for a second admin).

ALTER TABLE tenants
    ADD COLUMN on_leak text NOT NULL DEFAULT 'suspend',
    ADD COLUMN pending_on_leak text NULL,
    ADD CONSTRAINT tenants_on_leak_known CHECK (on_leak IN ('suspend', 'suspend_and_revoke', 'notify')),
    ADD CONSTRAINT tenants_pending_on_leak_known CHECK (pending_on_leak IN ('suspend', 'suspend_and_revoke', 'notify')),
    ADD CONSTRAINT tenants_pending_on_leak_whole CHECK (pending_on_leak IS NULL OR pending_requested_by IS NOT NULL);
ALTER TABLE tenants ALTER COLUMN on_leak DROP DEFAULT;

COMMENT ON COLUMN tenants.on_leak IS
    'TenantPolicy::on_leak: suspend (the default for tenants that existed before), suspend_and_revoke or notify.';
COMMENT ON COLUMN tenants.pending_on_leak IS 'The on_leak a pending policy change asks for.';
COMMENT ON CONSTRAINT tenants_on_leak_known ON tenants IS 'Every element of OnLeak.';
COMMENT ON CONSTRAINT tenants_pending_on_leak_known ON tenants IS 'Every element of OnLeak.';
COMMENT ON CONSTRAINT tenants_pending_on_leak_whole ON tenants IS 'A pending on_leak is part of a pending policy change.';

-- A leak report, acted on or recorded, once per key and url: repeated reports of the same leak are
-- answered again but audited once.
CREATE TABLE leak_reports (
    tenant_id    text COLLATE "C" NOT NULL,
    key_id       text COLLATE "C" NOT NULL,
    url          text NOT NULL,
    reported_at  timestamptz NOT NULL,
    CONSTRAINT leak_reports_pkey PRIMARY KEY (tenant_id, key_id, url),
    CONSTRAINT leak_reports_key_fkey FOREIGN KEY (tenant_id, key_id) REFERENCES keys (tenant_id, key_id),
    CONSTRAINT leak_reports_url_length CHECK (char_length(url) <= 2048)
);
COMMENT ON TABLE leak_reports IS
    'One row per key and url a leak was reported at; the key.leaked audit entry is written with it, once.';
