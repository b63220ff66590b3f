-- Signed requests (RFC 9421): a key's signing spec, fixed at creation (keygate_domain::Signing), the
-- nonces seen per key while a signature carrying them could still be fresh, and the tenant's allowed
-- clock skew (TenantPolicy::signature_skew_seconds, 30 to 900, default 300; shorter narrows).

ALTER TABLE keys
    ADD COLUMN signing_algorithm text NULL,
    ADD COLUMN signing_public_key bytea NULL,
    ADD COLUMN bearer boolean NOT NULL DEFAULT true,
    ADD CONSTRAINT keys_signing_spec CHECK (
        (signing_algorithm IS NULL AND signing_public_key IS NULL AND bearer)
        OR (signing_algorithm = 'hmac-sha256' AND signing_public_key IS NULL)
        OR (signing_algorithm = 'ed25519' AND octet_length(signing_public_key) = 32));

COMMENT ON COLUMN keys.signing_algorithm IS 'hmac-sha256 or ed25519; NULL for a bearer-only key.';
COMMENT ON COLUMN keys.signing_public_key IS 'The client''s Ed25519 public key (32 bytes); an HMAC key''s secret is derived, never stored.';
COMMENT ON COLUMN keys.bearer IS 'false: a signing-only key, whose bearer secret authenticates nothing.';

-- One row per nonce a verified signature used, kept until the signature could no longer be fresh
-- (its created instant plus the skew). The primary key makes two processes racing one replay give one
-- success: the insert of the second conflicts.
CREATE TABLE signature_nonces (
    key_id     text COLLATE "C" NOT NULL,
    nonce      text NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT signature_nonces_pkey PRIMARY KEY (key_id, nonce),
    CONSTRAINT signature_nonces_nonce_length CHECK (octet_length(nonce) BETWEEN 1 AND 256)
);
CREATE INDEX signature_nonces_expiry ON signature_nonces (expires_at);

ALTER TABLE tenants
    ADD COLUMN signature_skew_seconds integer NOT NULL DEFAULT 300,
    ADD COLUMN pending_signature_skew_seconds integer NULL,
    ADD CONSTRAINT tenants_signature_skew_range CHECK (
        signature_skew_seconds BETWEEN 30 AND 900
        AND (pending_signature_skew_seconds IS NULL OR pending_signature_skew_seconds BETWEEN 30 AND 900)),
    ADD CONSTRAINT tenants_pending_signature_skew_whole CHECK (
        pending_signature_skew_seconds IS NULL OR pending_requested_by IS NOT NULL);
ALTER TABLE tenants ALTER COLUMN signature_skew_seconds DROP DEFAULT;

COMMENT ON COLUMN tenants.signature_skew_seconds IS 'TenantPolicy::signature_skew_seconds: 30 to 900.';
COMMENT ON COLUMN tenants.pending_signature_skew_seconds IS
    'The signature_skew_seconds a pending policy change asks for.';
