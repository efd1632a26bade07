-- Catalog: texts are JSONB (LocalizedText), lists are JSONB arrays.
CREATE TABLE networks (
    slug          TEXT PRIMARY KEY,
    position      BIGINT NOT NULL,
    name          JSONB NOT NULL,
    description   JSONB NOT NULL,
    keywords      JSONB NOT NULL,
    areas         JSONB NOT NULL,
    url           TEXT,
    contact_email TEXT,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE initiatives (
    slug        TEXT PRIMARY KEY,
    network     TEXT NOT NULL REFERENCES networks (slug),
    title       JSONB NOT NULL,
    description JSONB NOT NULL,
    tags        JSONB NOT NULL,
    place       TEXT,
    url         TEXT,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX initiatives_by_network ON initiatives (network, slug);

CREATE TABLE beacons (
    slug        TEXT PRIMARY KEY,
    position    BIGINT NOT NULL,
    name        JSONB NOT NULL,
    description JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE ideas (
    id                   UUID PRIMARY KEY,
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
    citizen_token_hash   BYTEA NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);

-- The citizen token is kept sealed with a pad derived from the idempotency key, so that a
-- retry can be answered with the first response while the database alone cannot reveal it.
CREATE TABLE idempotency_keys (
    key_hash     BYTEA PRIMARY KEY,
    request_hash BYTEA NOT NULL,
    idea_id      UUID NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    sealed_token BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
