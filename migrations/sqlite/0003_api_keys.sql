-- API keys of municipal staff (role admin) and partner networks (role partner, bound to
-- networks). Only the SHA-256 of a key is kept; its first 12 characters (`prefix`) find the
-- row and name the key in lists.
CREATE TABLE api_keys (
    id           BLOB PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'partner')),
    networks     TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     BLOB NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_keys_by_prefix ON api_keys (prefix);
