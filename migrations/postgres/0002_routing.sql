-- Routing: the network an idea went to (null in triage) and the matching that placed it.
ALTER TABLE ideas ADD COLUMN network TEXT;
ALTER TABLE ideas ADD COLUMN matching JSONB;
CREATE INDEX ideas_published ON ideas (id) WHERE consent_publish;

-- Bumped by every catalog import, so that running services notice and re-index.
CREATE TABLE catalog_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO catalog_revision (id, revision) VALUES (1, 0);
