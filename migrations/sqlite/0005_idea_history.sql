-- Every change of an idea's status or network, oldest first by id (UUIDv7): when, by whom
-- (the matching or a partner key acting for a network), the decision and its note. The
-- citizen reads it with the idea; the rows with a decision are the routing feedback.
CREATE TABLE idea_history (
    id           BLOB PRIMARY KEY,
    idea_id      BLOB NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    key_id       BLOB REFERENCES api_keys (id),
    decision     TEXT,
    from_network TEXT,
    network      TEXT,
    status       TEXT NOT NULL,
    note         TEXT
);
CREATE INDEX idea_history_by_idea ON idea_history (idea_id, id);
CREATE INDEX idea_history_decisions ON idea_history (id) WHERE decision IS NOT NULL;
