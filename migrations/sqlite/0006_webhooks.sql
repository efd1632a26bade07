-- Webhook endpoints of partner keys. The signing secret is kept as it is: it signs.
CREATE TABLE webhooks (
    id              BLOB PRIMARY KEY,
    key_id          BLOB NOT NULL REFERENCES api_keys (id),
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    networks        TEXT NOT NULL,
    secret          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    disabled_at     TEXT,
    disabled_reason TEXT
);
CREATE INDEX webhooks_by_key ON webhooks (key_id, id);

-- What each endpoint hears, a row per network and event, so that the transaction that
-- appends a feed entry fills the outbox with one INSERT ... SELECT.
CREATE TABLE webhook_subscriptions (
    network    TEXT NOT NULL,
    event      TEXT NOT NULL,
    webhook_id BLOB NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    PRIMARY KEY (network, event, webhook_id)
);

-- Deliveries still to make: one row per feed entry and endpoint, written in the transaction
-- of the change. A dispatcher claims due rows with a lease; a row whose lease ran out (its
-- process died) is claimed again.
CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      BLOB NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    position        BIGINT NOT NULL REFERENCES feed_entries (position),
    message_id      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    delivered_at    TEXT,
    failed_at       TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

-- Every attempt, for the partner to read.
CREATE TABLE webhook_deliveries (
    id          BLOB PRIMARY KEY,
    webhook_id  BLOB NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id  TEXT NOT NULL,
    event       TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    status_code INTEGER,
    error       TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
