-- How many days before a key expires its tenant's webhook endpoints hear key.expiring
-- (TenantPolicy::webhook_expiry_lead_days, 1 to 90, default 7; longer narrows), and the same setting in
-- a pending policy change.

ALTER TABLE tenants
    ADD COLUMN webhook_expiry_lead_days integer NOT NULL DEFAULT 7,
    ADD COLUMN pending_webhook_expiry_lead_days integer NULL,
    ADD CONSTRAINT tenants_webhook_expiry_lead_range CHECK (
        webhook_expiry_lead_days BETWEEN 1 AND 90
        AND (pending_webhook_expiry_lead_days IS NULL OR pending_webhook_expiry_lead_days BETWEEN 1 AND 90)),
    ADD CONSTRAINT tenants_pending_webhook_expiry_lead_whole CHECK (
        pending_webhook_expiry_lead_days IS NULL OR pending_requested_by IS NOT NULL);
ALTER TABLE tenants ALTER COLUMN webhook_expiry_lead_days DROP DEFAULT;

COMMENT ON COLUMN tenants.webhook_expiry_lead_days IS 'TenantPolicy::webhook_expiry_lead_days: 1 to 90.';
COMMENT ON COLUMN tenants.pending_webhook_expiry_lead_days IS
    'The webhook_expiry_lead_days a pending policy change asks for.';
