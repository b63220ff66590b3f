-- A tenant's scope catalogue (TenantPolicy::scope_catalogue): the resources its keys may name, each
-- with a description and the actions offered, as a jsonb array of {"name", "description", "actions"}
-- sorted by name; NULL is no catalogue (any well-formed scope, as before). A pending policy change may
-- set one anew or remove it: `pending_scope_catalogue_set` says it asks (as
-- `pending_max_key_lifetime_set` does for the cap), and `pending_scope_catalogue` is the catalogue
-- asked for, NULL for its removal.

CREATE FUNCTION scope_catalogue_valid(catalogue jsonb) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    entry jsonb;
    action jsonb;
    seen text[] := '{}';
BEGIN
    -- One test per IF, as in currency_table_valid.
    IF jsonb_typeof(catalogue) <> 'array' THEN
        RETURN false;
    END IF;
    IF jsonb_array_length(catalogue) NOT BETWEEN 1 AND 256 THEN
        RETURN false;
    END IF;
    FOR entry IN SELECT jsonb_array_elements(catalogue) LOOP
        IF jsonb_typeof(entry) <> 'object' THEN
            RETURN false;
        END IF;
        IF EXISTS (
            SELECT 1 FROM jsonb_object_keys(entry) AS k (name) WHERE name NOT IN ('name', 'description', 'actions')
        ) THEN
            RETURN false;
        END IF;
        IF jsonb_typeof(entry -> 'name') IS DISTINCT FROM 'string'
            OR entry ->> 'name' !~ '^[a-z0-9-]{1,48}$'
            OR entry ->> 'name' = ANY (seen) THEN
            RETURN false;
        END IF;
        seen := seen || (entry ->> 'name');
        IF coalesce(jsonb_typeof(entry -> 'description'), 'null') NOT IN ('null', 'string') THEN
            RETURN false;
        END IF;
        IF char_length(coalesce(entry ->> 'description', '')) > 200 THEN
            RETURN false;
        END IF;
        IF jsonb_typeof(entry -> 'actions') IS DISTINCT FROM 'array' OR jsonb_array_length(entry -> 'actions') = 0 THEN
            RETURN false;
        END IF;
        FOR action IN SELECT jsonb_array_elements(entry -> 'actions') LOOP
            IF jsonb_typeof(action) <> 'string' OR action #>> '{}' NOT IN ('read', 'write', 'approve') THEN
                RETURN false;
            END IF;
        END LOOP;
    END LOOP;
    RETURN true;
END
$$;
COMMENT ON FUNCTION scope_catalogue_valid(jsonb) IS
    'Whether a scope catalogue has the shape keygate writes: an array of 1 to 256 objects, each with a '
    'name (a scope''s resource, unique in the array), a description (absent, null or at most 200 '
    'characters) and a non-empty array of actions among read, write and approve.';

ALTER TABLE tenants
    ADD COLUMN scope_catalogue jsonb NULL,
    ADD COLUMN pending_scope_catalogue_set boolean NULL,
    ADD COLUMN pending_scope_catalogue jsonb NULL,
    ADD CONSTRAINT tenants_scope_catalogue_valid CHECK (scope_catalogue_valid(scope_catalogue)),
    ADD CONSTRAINT tenants_pending_scope_catalogue_valid CHECK (scope_catalogue_valid(pending_scope_catalogue)),
    ADD CONSTRAINT tenants_pending_scope_catalogue_whole CHECK (
        (pending_scope_catalogue_set IS NULL AND pending_scope_catalogue IS NULL)
        OR (pending_scope_catalogue_set AND pending_requested_by IS NOT NULL)
    );

COMMENT ON COLUMN tenants.scope_catalogue IS
    'TenantPolicy::scope_catalogue: the scopes keys may hold; NULL is no catalogue (any scope).';
COMMENT ON COLUMN tenants.pending_scope_catalogue_set IS
    'A pending policy change asks for a scope catalogue (true) or leaves it alone (NULL).';
COMMENT ON COLUMN tenants.pending_scope_catalogue IS
    'The scope catalogue a pending policy change asks for; NULL with pending_scope_catalogue_set is its removal.';
COMMENT ON CONSTRAINT tenants_pending_scope_catalogue_whole ON tenants IS
    'A pending catalogue is part of a pending policy change, and is asked for exactly when marked set.';
