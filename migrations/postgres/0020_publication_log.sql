-- Which ideas are published changes in this log, in commit order, so that every replica keeps
-- its similar-ideas index equal to the database's published ideas. Triggers write it, so every
-- way an idea is stored, erased or its publication consent changed is caught. Positions come
-- from the feed's counter: the row stays locked until commit, so positions commit in order,
-- and a transaction that appends to both the feed and this log takes the lock once.
CREATE TABLE publication_log (
    position  BIGINT PRIMARY KEY,
    idea_id   UUID NOT NULL,
    published BOOLEAN NOT NULL,
    -- Unix seconds; entries are pruned an hour after they were written.
    at        BIGINT NOT NULL
);

CREATE FUNCTION log_publication() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_position BIGINT;
BEGIN
    UPDATE feed_counter SET position = position + 1 WHERE id = 1 RETURNING position INTO next_position;
    IF TG_OP = 'DELETE' THEN
        INSERT INTO publication_log (position, idea_id, published, at)
        VALUES (next_position, OLD.id, FALSE, extract(epoch FROM now())::BIGINT);
    ELSE
        INSERT INTO publication_log (position, idea_id, published, at)
        VALUES (next_position, NEW.id, NEW.consent_publish, extract(epoch FROM now())::BIGINT);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER publication_log_insert AFTER INSERT ON ideas
    FOR EACH ROW WHEN (NEW.consent_publish) EXECUTE FUNCTION log_publication();
CREATE TRIGGER publication_log_delete AFTER DELETE ON ideas
    FOR EACH ROW WHEN (OLD.consent_publish) EXECUTE FUNCTION log_publication();
CREATE TRIGGER publication_log_update AFTER UPDATE OF consent_publish ON ideas
    FOR EACH ROW WHEN (OLD.consent_publish IS DISTINCT FROM NEW.consent_publish)
    EXECUTE FUNCTION log_publication();
