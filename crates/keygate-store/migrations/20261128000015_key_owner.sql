-- What the platform knows a key by (Key::owner): its owner's id in the platform (external_id, 1 to 128
-- printable characters, filterable) and free metadata (a JSON object of at most 4 KiB, kept as text so
-- it reads back exactly as the client sent it, whitespace between tokens removed), and the same two in a
-- pending change (a change of either waits for a checker under dual control, like a privilege change).

ALTER TABLE keys
    ADD COLUMN external_id text COLLATE "C" NULL,
    ADD COLUMN metadata text NULL,
    ADD COLUMN pending_external_id text COLLATE "C" NULL,
    ADD COLUMN pending_metadata text NULL,
    ADD CONSTRAINT keys_external_id_shape CHECK (
        (external_id IS NULL OR char_length(external_id) BETWEEN 1 AND 128)
        AND (pending_external_id IS NULL OR char_length(pending_external_id) BETWEEN 1 AND 128)),
    ADD CONSTRAINT keys_metadata_shape CHECK (
        (metadata IS NULL OR (octet_length(metadata) <= 4096 AND jsonb_typeof(metadata::jsonb) = 'object'))
        AND (pending_metadata IS NULL
             OR (octet_length(pending_metadata) <= 4096 AND jsonb_typeof(pending_metadata::jsonb) = 'object'))),
    -- The pending owner is part of a pending change (whose scopes are always set).
    ADD CONSTRAINT keys_pending_owner_whole CHECK (
        (pending_external_id IS NULL AND pending_metadata IS NULL) OR pending_scopes IS NOT NULL);

COMMENT ON COLUMN keys.external_id IS 'Key::owner.external_id: the platform''s id for the key''s owner, as written.';
COMMENT ON COLUMN keys.metadata IS 'Key::owner.metadata: compact JSON object text, as the client sent it.';
COMMENT ON COLUMN keys.pending_external_id IS 'The external_id a pending change would set (NULL: none).';
COMMENT ON COLUMN keys.pending_metadata IS 'The metadata a pending change would set (NULL: none).';

-- The listing filtered by owner (GET .../keys?external_id=), in the listing's own order.
CREATE INDEX keys_by_external_id ON keys (tenant_id, external_id, created_at, key_id) WHERE external_id IS NOT NULL;
