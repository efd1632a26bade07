-- Moderation: a hidden idea leaves the public list and similar ideas; the reason is for staff
-- and the citizen.
ALTER TABLE ideas ADD COLUMN hidden_at TEXT;
ALTER TABLE ideas ADD COLUMN hidden_reason TEXT;
-- The beacons the matching found, as ",slug,slug,", so that both backends filter and count
-- by beacon with LIKE; it outlives the matching (kept for statistics after an erasure).
ALTER TABLE ideas ADD COLUMN beacons TEXT;
UPDATE ideas SET beacons = (
    SELECT ',' || group_concat(json_extract(b.value, '$.slug'), ',') || ','
    FROM json_each(ideas.matching, '$.beacons') b)
WHERE matching IS NOT NULL;

CREATE INDEX ideas_by_created ON ideas (created_at);
CREATE INDEX ideas_by_network ON ideas (network, id);
CREATE INDEX ideas_in_triage ON ideas (id) WHERE status = 'triage';

-- Every hide and unhide: who, when, why.
CREATE TABLE moderation_log (
    id      BLOB PRIMARY KEY,
    idea_id BLOB NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    at      TEXT NOT NULL,
    key_id  BLOB NOT NULL REFERENCES api_keys (id),
    action  TEXT NOT NULL CHECK (action IN ('hide', 'unhide')),
    reason  TEXT
);
CREATE INDEX moderation_log_by_idea ON moderation_log (idea_id, id);
