-- Notices: the events announced at most once per key and occasion (key.expiring, key.expired, and
-- key.volume_threshold per window, currency and threshold). A notice's row is written in the same
-- transaction as its outbox event, and its primary key makes a second writer (another process's scan,
-- a racing spend) write nothing.

CREATE TABLE webhook_notices (
    tenant_id text COLLATE "C" NOT NULL,
    key_id text COLLATE "C" NOT NULL,
    notice text COLLATE "C" NOT NULL,
    event_id text NOT NULL,
    noticed_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key_id, notice),
    FOREIGN KEY (tenant_id, key_id) REFERENCES keys (tenant_id, key_id) ON DELETE CASCADE
);

COMMENT ON TABLE webhook_notices IS 'One row per notice given: key.expiring, key.expired, or key.volume_threshold:{window}:{start}:{currency}:{percent}.';

-- The periodic expiry scan reads keys by expiry.
CREATE INDEX keys_expiry ON keys (expires_at) WHERE expires_at IS NOT NULL;
