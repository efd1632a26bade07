-- The partner feed: one entry per event and network, never edited. Positions come from the
-- single counter row, updated in the transaction that appends: a second writer waits for the
-- first to commit, so positions become visible in order and a reader that has seen position
-- p has seen every position below it.
CREATE TABLE feed_counter (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    position BIGINT NOT NULL
);
INSERT INTO feed_counter (id, position) VALUES (1, 0);

CREATE TABLE feed_entries (
    position BIGINT PRIMARY KEY,
    network  TEXT NOT NULL,
    idea_id  BLOB NOT NULL,
    event    TEXT NOT NULL,
    status   TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX feed_entries_by_network ON feed_entries (network, position);

-- Every read of an idea by a partner key: who, which idea, when, through which route, and
-- whether the citizen's contact data was in it.
CREATE TABLE partner_reads (
    key_id  BLOB NOT NULL REFERENCES api_keys (id),
    idea_id BLOB NOT NULL,
    at      TEXT NOT NULL,
    access  TEXT NOT NULL,
    contact BOOLEAN NOT NULL
);
CREATE INDEX partner_reads_by_idea ON partner_reads (idea_id, at);
