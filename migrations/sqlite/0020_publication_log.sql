-- Which ideas are published changes in this log, in commit order, so that every replica keeps
-- its similar-ideas index equal to the database's published ideas. Triggers write it, so every
-- way an idea is stored, erased or its publication consent changed is caught. Positions come
-- from the feed's counter: the row stays locked until commit, so positions commit in order,
-- and a transaction that appends to both the feed and this log takes the lock once.
CREATE TABLE publication_log (
    position  BIGINT PRIMARY KEY,
    idea_id   BLOB NOT NULL,
    published BOOLEAN NOT NULL,
    -- Unix seconds; entries are pruned an hour after they were written.
    at        BIGINT NOT NULL
);

CREATE TRIGGER publication_log_insert AFTER INSERT ON ideas WHEN NEW.consent_publish
BEGIN
    UPDATE feed_counter SET position = position + 1 WHERE id = 1;
    INSERT INTO publication_log (position, idea_id, published, at)
    SELECT position, NEW.id, TRUE, CAST(strftime('%s', 'now') AS INTEGER) FROM feed_counter WHERE id = 1;
END;

CREATE TRIGGER publication_log_delete AFTER DELETE ON ideas WHEN OLD.consent_publish
BEGIN
    UPDATE feed_counter SET position = position + 1 WHERE id = 1;
    INSERT INTO publication_log (position, idea_id, published, at)
    SELECT position, OLD.id, FALSE, CAST(strftime('%s', 'now') AS INTEGER) FROM feed_counter WHERE id = 1;
END;

CREATE TRIGGER publication_log_update AFTER UPDATE OF consent_publish ON ideas
WHEN OLD.consent_publish IS NOT NEW.consent_publish
BEGIN
    UPDATE feed_counter SET position = position + 1 WHERE id = 1;
    INSERT INTO publication_log (position, idea_id, published, at)
    SELECT position, NEW.id, NEW.consent_publish, CAST(strftime('%s', 'now') AS INTEGER) FROM feed_counter WHERE id = 1;
END;
