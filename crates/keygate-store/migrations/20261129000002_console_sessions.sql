-- Console sessions: a browser's login, kept here so any keygated process serves it. Only the SHA-256
-- of the cookie's random id; the credential's fingerprint ends a session when its token is replaced or
-- its operator disabled. Global like `services`: the system administrator's sessions have no tenant.

CREATE TABLE console_sessions (
    session_hash bytea NOT NULL,
    operator_id  text COLLATE "C" NULL,
    credential   bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    CONSTRAINT console_sessions_pkey PRIMARY KEY (session_hash),
    CONSTRAINT console_sessions_hash_length CHECK (octet_length(session_hash) = 32),
    CONSTRAINT console_sessions_credential_length CHECK (octet_length(credential) = 32),
    CONSTRAINT console_sessions_seen_after_opened CHECK (last_seen_at >= created_at)
);
CREATE INDEX console_sessions_by_age ON console_sessions (created_at);
COMMENT ON TABLE console_sessions IS
    'Open console sessions: the hash of each cookie id, whose, and when opened and last used.';
