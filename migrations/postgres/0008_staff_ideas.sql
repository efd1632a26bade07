-- Moderation: a hidden idea leaves the public list and similar ideas; the reason is for staff
-- and the citizen.
ALTER TABLE ideas ADD COLUMN hidden_at TIMESTAMPTZ;
ALTER TABLE ideas ADD COLUMN hidden_reason TEXT;
-- The beacons the matching found, as ",slug,slug,", so that both backends filter and count
-- by beacon with LIKE; it outlives the matching (kept for statistics after an erasure).
ALTER TABLE ideas ADD COLUMN beacons TEXT;
UPDATE ideas SET beacons = ',' || (
    SELECT string_agg(b ->> 'slug', ',') FROM jsonb_array_elements(matching -> 'beacons') b) || ','
WHERE matching IS NOT NULL;

CREATE INDEX ideas_by_created ON ideas (created_at);
CREATE INDEX ideas_by_network ON ideas (network, id);
CREATE INDEX ideas_in_triage ON ideas (id) WHERE status = 'triage';

-- Every hide and unhide: who, when, why.
CREATE TABLE moderation_log (
    id      UUID PRIMARY KEY,
    idea_id UUID NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    at      TIMESTAMPTZ NOT NULL,
    key_id  UUID NOT NULL REFERENCES api_keys (id),
    action  TEXT NOT NULL CHECK (action IN ('hide', 'unhide')),
    reason  TEXT
);
CREATE INDEX moderation_log_by_idea ON moderation_log (idea_id, id);
