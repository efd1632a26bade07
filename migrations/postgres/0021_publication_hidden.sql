-- A hidden idea is not published either: hiding and unhiding go into the publication log, so
-- that every replica takes a hidden idea out of its similar ideas (and brings it back).
CREATE OR REPLACE FUNCTION log_publication() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_position BIGINT;
BEGIN
    UPDATE feed_counter SET position = position + 1 WHERE id = 1 RETURNING position INTO next_position;
    IF TG_OP = 'DELETE' THEN
        INSERT INTO publication_log (position, idea_id, published, at)
        VALUES (next_position, OLD.id, FALSE, extract(epoch FROM now())::BIGINT);
    ELSE
        INSERT INTO publication_log (position, idea_id, published, at)
        VALUES (next_position, NEW.id, NEW.consent_publish AND NEW.hidden_at IS NULL,
                extract(epoch FROM now())::BIGINT);
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER publication_log_insert ON ideas;
DROP TRIGGER publication_log_update ON ideas;
CREATE TRIGGER publication_log_insert AFTER INSERT ON ideas
    FOR EACH ROW WHEN (NEW.consent_publish AND NEW.hidden_at IS NULL)
    EXECUTE FUNCTION log_publication();
CREATE TRIGGER publication_log_update AFTER UPDATE OF consent_publish, hidden_at ON ideas
    FOR EACH ROW WHEN ((OLD.consent_publish AND OLD.hidden_at IS NULL)
        IS DISTINCT FROM (NEW.consent_publish AND NEW.hidden_at IS NULL))
    EXECUTE FUNCTION log_publication();
