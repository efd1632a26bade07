-- Catalog: texts are JSON (LocalizedText), lists are JSON arrays.
CREATE TABLE networks (
    slug          TEXT PRIMARY KEY,
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    keywords      TEXT NOT NULL,
    areas         TEXT NOT NULL,
    url           TEXT,
    contact_email TEXT,
    updated_at    TEXT NOT NULL
);

CREATE TABLE initiatives (
    slug        TEXT PRIMARY KEY,
    network     TEXT NOT NULL REFERENCES networks (slug),
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    tags        TEXT NOT NULL,
    place       TEXT,
    url         TEXT,
    updated_at  TEXT NOT NULL
);
CREATE INDEX initiatives_by_network ON initiatives (network, slug);

CREATE TABLE beacons (
    slug        TEXT PRIMARY KEY,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE ideas (
    id                   BLOB PRIMARY KEY,
    title                TEXT NOT NULL,
    problem              TEXT NOT NULL,
    helpers              TEXT,
    motivation           TEXT,
    existing_initiatives TEXT,
    new_alliances        TEXT,
    postcode             TEXT,
    place                TEXT,
    language             TEXT,
    contact_name         TEXT,
    contact_email        TEXT,
    contact_phone        TEXT,
    consent_contact      BOOLEAN NOT NULL,
    consent_share        BOOLEAN NOT NULL,
    consent_publish      BOOLEAN NOT NULL,
    status               TEXT NOT NULL,
    citizen_token_hash   BLOB NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);

-- The citizen token is kept sealed with a pad derived from the idempotency key, so that a
-- retry can be answered with the first response while the database alone cannot reveal it.
CREATE TABLE idempotency_keys (
    key_hash     BLOB PRIMARY KEY,
    request_hash BLOB NOT NULL,
    idea_id      BLOB NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    sealed_token BLOB NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
