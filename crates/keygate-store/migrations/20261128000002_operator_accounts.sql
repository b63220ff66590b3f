-- Operator accounts with a lifecycle, pending policy widenings, and the person behind each request.
--
-- Three things change. Tenants gain the integrator_approvals setting and a pending policy widening
-- (PendingPolicy): each of its five settings optional, who asked, for whom, and when. Keys record the
-- person (principal) behind their maker and behind a pending revocation or privilege change, next to
-- the actor. Operators become accounts (OperatorAccount): a state, who asked for them and approved them,
-- a request waiting for a second admin, the invitation in force and the hashes of its halves; the
-- token hash becomes optional (an invited operator has none yet, a disabled one none any more).
--
-- Rows written before this migration are filled in as they were meant: a key's maker and askers count
-- as their own principals (the stopgap keygate applied when reading them), and an operator created
-- before invitations existed holds a token, so it is an active account the system admin created and
-- claimed when it was created, at version 1.

-- Tenants -----------------------------------------------------------------------------------------

ALTER TABLE tenants
    ADD COLUMN integrator_approvals boolean NOT NULL DEFAULT false,
    ADD COLUMN pending_dual_control boolean NULL,
    ADD COLUMN pending_live_enabled boolean NULL,
    ADD COLUMN pending_max_key_lifetime_set boolean NULL,
    ADD COLUMN pending_max_key_lifetime_days bigint NULL,
    ADD COLUMN pending_allow_never_expiring boolean NULL,
    ADD COLUMN pending_integrator_approvals boolean NULL,
    ADD COLUMN pending_requested_by text NULL,
    ADD COLUMN pending_requested_for text NULL,
    ADD COLUMN pending_requested_at timestamptz NULL,
    ADD CONSTRAINT tenants_pending_whole CHECK (
        (pending_requested_by IS NULL) = (pending_requested_for IS NULL)
        AND (pending_requested_by IS NULL) = (pending_requested_at IS NULL)
        AND (pending_requested_by IS NOT NULL
             OR (pending_dual_control IS NULL AND pending_live_enabled IS NULL
                 AND pending_max_key_lifetime_set IS NULL AND pending_max_key_lifetime_days IS NULL
                 AND pending_allow_never_expiring IS NULL AND pending_integrator_approvals IS NULL))
    ),
    ADD CONSTRAINT tenants_pending_lifetime_set CHECK (pending_max_key_lifetime_set),
    ADD CONSTRAINT tenants_pending_lifetime_needs_set CHECK (
        pending_max_key_lifetime_days IS NULL OR pending_max_key_lifetime_set IS NOT NULL
    ),
    ADD CONSTRAINT tenants_pending_lifetime_range CHECK (pending_max_key_lifetime_days BETWEEN 0 AND 4294967295);
-- The default only fills the rows already there (off is the narrow end); keygate always writes it.
ALTER TABLE tenants ALTER COLUMN integrator_approvals DROP DEFAULT;
COMMENT ON COLUMN tenants.integrator_approvals IS 'TenantPolicy::integrator_approvals: integrator keys may approve.';
COMMENT ON COLUMN tenants.pending_max_key_lifetime_set IS
    'NULL: the pending widening leaves the lifetime cap alone; true: it sets the cap to '
    'pending_max_key_lifetime_days, where NULL there removes the cap (PolicyPatch''s Some(None)).';
COMMENT ON CONSTRAINT tenants_pending_whole ON tenants IS
    'A pending policy names who asked, for whom and when, or there is no pending policy at all.';
COMMENT ON CONSTRAINT tenants_pending_lifetime_set ON tenants IS 'NULL or true; false would be a second "absent".';
COMMENT ON CONSTRAINT tenants_pending_lifetime_needs_set ON tenants IS 'A pending cap is only read when it is set.';

-- Keys --------------------------------------------------------------------------------------------

ALTER TABLE keys
    ADD COLUMN created_for text NULL,
    ADD COLUMN revocation_requested_for text NULL,
    ADD COLUMN pending_requested_for text NULL;

-- The person behind an actor: an operator or the system admin is itself; a key is the person behind
-- the actor that created it, followed down the chain of keys that created keys (bounded, and a cycle,
-- which cannot be made, would stop at the bound and keep the key itself).
CREATE FUNCTION pg_temp.person_behind(actor text) RETURNS text LANGUAGE sql STABLE AS $$
    WITH RECURSIVE chain (who, depth) AS (
        SELECT actor, 0
        UNION ALL
        SELECT k.created_by, c.depth + 1
        FROM chain c JOIN keys k ON c.who = 'key:' || k.key_id
        WHERE c.depth < 64
    )
    SELECT who FROM chain ORDER BY (who LIKE 'key:%'), depth DESC LIMIT 1
$$;

UPDATE keys SET
    created_for = pg_temp.person_behind(created_by),
    revocation_requested_for = pg_temp.person_behind(revocation_requested_by),
    pending_requested_for = pg_temp.person_behind(pending_requested_by);

ALTER TABLE keys
    ALTER COLUMN created_for SET NOT NULL,
    ADD CONSTRAINT keys_revocation_for_whole CHECK (
        (revocation_requested_by IS NULL) = (revocation_requested_for IS NULL)
    ),
    ADD CONSTRAINT keys_pending_for_whole CHECK ((pending_requested_by IS NULL) = (pending_requested_for IS NULL));
COMMENT ON COLUMN keys.created_for IS 'The person the maker counts as: maker-checker compares it too.';
COMMENT ON CONSTRAINT keys_revocation_for_whole ON keys IS 'A revocation request names its asker''s principal.';
COMMENT ON CONSTRAINT keys_pending_for_whole ON keys IS 'A pending change names its asker''s principal.';

-- Operators ---------------------------------------------------------------------------------------

ALTER TABLE operators
    ALTER COLUMN token_hash DROP NOT NULL,
    ADD COLUMN state text NULL,
    ADD COLUMN created_by text NULL,
    ADD COLUMN created_for text NULL,
    ADD COLUMN approved_by text NULL,
    ADD COLUMN request_kind text NULL,
    ADD COLUMN request_roles text[] NULL,
    ADD COLUMN requested_by text NULL,
    ADD COLUMN requested_for text NULL,
    ADD COLUMN requested_at timestamptz NULL,
    ADD COLUMN invitation_halves smallint NULL,
    ADD COLUMN invitation_expires_at timestamptz NULL,
    ADD COLUMN invitation_hash_1 bytea NULL,
    ADD COLUMN invitation_hash_2 bytea NULL,
    ADD COLUMN claimed_at timestamptz NULL,
    ADD COLUMN updated_at timestamptz NULL,
    ADD COLUMN version bigint NULL,
    ADD COLUMN last_seen_at timestamptz NULL;

UPDATE operators SET
    state = 'active',
    created_by = 'system',
    created_for = 'system',
    claimed_at = created_at,
    updated_at = created_at,
    version = 1;

-- Separation of duties: an operator made before it held admin together with maker or checker. Keep
-- admin and drop the others (a narrowing, which needs no second person); a second admin can give a
-- maker or checker role to another person.
UPDATE operators SET roles = array_remove(array_remove(roles, 'maker'), 'checker')
WHERE 'admin' = ANY (roles) AND roles && ARRAY['maker', 'checker']::text[];

ALTER TABLE operators
    ALTER COLUMN state SET NOT NULL,
    ALTER COLUMN created_by SET NOT NULL,
    ALTER COLUMN created_for SET NOT NULL,
    ALTER COLUMN updated_at SET NOT NULL,
    ALTER COLUMN version SET NOT NULL,
    ADD CONSTRAINT operators_state_known CHECK (state IN ('pending_approval', 'invited', 'active', 'disabled')),
    ADD CONSTRAINT operators_request_kind_known CHECK (request_kind IN ('create', 'enable', 'reinvite', 'roles')),
    ADD CONSTRAINT operators_request_whole CHECK (
        (request_kind IS NULL) = (requested_by IS NULL)
        AND (request_kind IS NULL) = (requested_for IS NULL)
        AND (request_kind IS NULL) = (requested_at IS NULL)
        AND (request_roles IS NOT NULL) = (request_kind IS NOT DISTINCT FROM 'roles')
    ),
    ADD CONSTRAINT operators_request_roles_known CHECK (
        request_roles <@ ARRAY['maker', 'checker', 'admin', 'auditor']::text[]
    ),
    ADD CONSTRAINT operators_invitation_whole CHECK ((invitation_halves IS NULL) = (invitation_expires_at IS NULL)),
    ADD CONSTRAINT operators_invitation_halves_range CHECK (invitation_halves IN (1, 2)),
    ADD CONSTRAINT operators_invitation_hash_1_length CHECK (octet_length(invitation_hash_1) = 32),
    ADD CONSTRAINT operators_invitation_hash_2_length CHECK (octet_length(invitation_hash_2) = 32),
    ADD CONSTRAINT operators_version_positive CHECK (version > 0);
COMMENT ON TABLE operators IS
    'Operator accounts of one tenant (OperatorAccount) with their personal data. Only the hashes of their '
    'token and of their invitation''s halves are kept.';
COMMENT ON COLUMN operators.token_hash IS 'NULL until the invitation is claimed, and again once disabled.';
COMMENT ON COLUMN operators.request_roles IS 'The roles a pending widening asks for (request_kind = ''roles'').';
COMMENT ON COLUMN operators.invitation_hash_1 IS 'Hash of the invitation''s first half (or whole code).';
COMMENT ON COLUMN operators.invitation_hash_2 IS 'Hash of the second half, under dual control.';
COMMENT ON COLUMN operators.version IS
    'Bumped by every transition; an update applies only if the version is still the one the caller read.';
COMMENT ON CONSTRAINT operators_request_whole ON operators IS
    'A pending request is whole or absent; only a roles request carries roles.';
COMMENT ON CONSTRAINT operators_invitation_whole ON operators IS 'Invitation terms are both fields or none.';
