-- The audit log becomes a hash chain per tenant, and entries say what changed.
--
-- Each entry's hash is SHA-256(the previous entry's hash in the tenant, or 32 zero bytes for the first
-- || the entry's canonical bytes). The canonical bytes (format version 1) are defined and documented in
-- keygate-store's src/audit_chain/; keygate computes the hash, the database only keeps it. seq becomes
-- a per-tenant counter, 1, 2, 3, ... without gaps, assigned under the lock of the tenant's row in
-- audit_heads, so appends in one tenant queue up and the chain can neither fork nor skip.
--
-- Rows written before this migration (there are none in production; a test database may have some)
-- are renumbered per tenant in their seq order and chained here, in SQL, by the same format version 1,
-- so every row is chained and hash can be NOT NULL. The renumbering changes no content, only positions,
-- and invalidates any audit cursor handed out before; it runs with the append-only trigger disabled
-- for this one statement block, which this file shows. Needs PostgreSQL 14 or later (EXTRACT returns an
-- exact numeric).
--
-- After this migration, a binary from before it can no longer append audit entries (seq has no default
-- and hash is required): its writes are refused rather than left unchained.

ALTER TABLE audit_log
    ADD COLUMN details text NULL,
    ADD COLUMN hash bytea NULL;

-- Format version 1 in SQL, for the rows already there; dropped again below so the format has one
-- definition in use (keygate's), which a test holds this copy to.
CREATE FUNCTION audit_chain_text(value text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT int4send(octet_length(convert_to(value, 'UTF8'))) || convert_to(value, 'UTF8')
$$;

CREATE FUNCTION audit_chain_optional(value text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea || audit_chain_text(value) END
$$;

ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;

DO $$
DECLARE
    entry record;
    current_tenant text := NULL;
    n bigint;
    previous bytea;
    canonical bytea;
BEGIN
    FOR entry IN SELECT * FROM audit_log ORDER BY tenant_id, seq LOOP
        IF current_tenant IS DISTINCT FROM entry.tenant_id THEN
            current_tenant := entry.tenant_id;
            n := 0;
            previous := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
        END IF;
        n := n + 1;
        canonical := '\x01'::bytea
            || audit_chain_text(entry.tenant_id)
            || int8send(n)
            || audit_chain_optional(entry.key_id)
            || audit_chain_text(entry.actor)
            || audit_chain_text(entry.action)
            || audit_chain_optional(entry.reason)
            || audit_chain_optional(entry.details)
            || int8send(trunc(EXTRACT(EPOCH FROM entry.at) * 1000000)::bigint);
        previous := sha256(previous || canonical);
        -- Ascending order: every lower position is already taken by a renumbered row, every old seq
        -- still to come is above this row's, so the new number never collides.
        UPDATE audit_log SET seq = n, hash = previous WHERE tenant_id = entry.tenant_id AND seq = entry.seq;
    END LOOP;
END;
$$;

ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;

DROP FUNCTION audit_chain_optional(text);
DROP FUNCTION audit_chain_text(text);

-- seq is assigned by keygate under the chain-head lock now, no longer by a sequence shared by tenants.
ALTER TABLE audit_log ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE audit_log_seq_seq;

ALTER TABLE audit_log
    ALTER COLUMN hash SET NOT NULL,
    ADD CONSTRAINT audit_log_seq_positive CHECK (seq >= 1),
    ADD CONSTRAINT audit_log_hash_length CHECK (octet_length(hash) = 32),
    ADD CONSTRAINT audit_log_details_length CHECK (octet_length(details) BETWEEN 2 AND 8192);
COMMENT ON TABLE audit_log IS
    'Append-only record of every change, written in the same transaction as the change it records. '
    'Per tenant, seq counts 1, 2, 3, ... without gaps and hash chains each entry to the one before.';
COMMENT ON COLUMN audit_log.details IS 'What changed: a JSON object text built by the caller, hashed as stored.';
COMMENT ON COLUMN audit_log.hash IS
    'SHA-256(previous entry''s hash, or 32 zero bytes || canonical bytes, format version 1).';
COMMENT ON CONSTRAINT audit_log_details_length ON audit_log IS 'At most 8 KiB; at least "{}".';

-- Chain heads -------------------------------------------------------------------------------------

CREATE TABLE audit_heads (
    tenant_id  text COLLATE "C" NOT NULL,
    seq        bigint NOT NULL,
    hash       bytea NOT NULL,
    CONSTRAINT audit_heads_pkey PRIMARY KEY (tenant_id),
    CONSTRAINT audit_heads_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id),
    CONSTRAINT audit_heads_seq_not_negative CHECK (seq >= 0),
    CONSTRAINT audit_heads_hash_length CHECK (octet_length(hash) = 32)
);
COMMENT ON TABLE audit_heads IS
    'Per tenant, the seq and hash of the last audit entry. Its row is locked FOR UPDATE by every append '
    '(serialising a tenant''s appends, so the chain neither forks nor skips) and moved in the same '
    'transaction; verification compares the chain''s end with it, which catches entries cut off the end.';
COMMENT ON CONSTRAINT audit_heads_tenant_fkey ON audit_heads IS 'An audit entry of an unknown tenant is NotFound.';

INSERT INTO audit_heads (tenant_id, seq, hash)
SELECT DISTINCT ON (tenant_id) tenant_id, seq, hash FROM audit_log ORDER BY tenant_id, seq DESC;
