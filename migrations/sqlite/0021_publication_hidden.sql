-- A hidden idea is not published either: hiding and unhiding go into the publication log, so
-- that every replica takes a hidden idea out of its similar ideas (and brings it back).
DROP TRIGGER publication_log_insert;
DROP TRIGGER publication_log_update;

CREATE TRIGGER publication_log_insert AFTER INSERT ON ideas
WHEN NEW.consent_publish AND NEW.hidden_at IS NULL
BEGIN
    UPDATE feed_counter SET position = position + 1 WHERE id = 1;
    INSERT INTO publication_log (position, idea_id, published, at)
    SELECT position, NEW.id, TRUE, CAST(strftime('%s', 'now') AS INTEGER) FROM feed_counter WHERE id = 1;
END;

CREATE TRIGGER publication_log_update AFTER UPDATE OF consent_publish, hidden_at ON ideas
WHEN (OLD.consent_publish AND OLD.hidden_at IS NULL) IS NOT (NEW.consent_publish AND NEW.hidden_at IS NULL)
BEGIN
    UPDATE feed_counter SET position = position + 1 WHERE id = 1;
    INSERT INTO publication_log (position, idea_id, published, at)
    SELECT position, NEW.id, NEW.consent_publish AND NEW.hidden_at IS NULL,
           CAST(strftime('%s', 'now') AS INTEGER)
    FROM feed_counter WHERE id = 1;
END;
