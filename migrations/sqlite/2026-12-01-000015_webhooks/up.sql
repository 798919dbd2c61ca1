-- Webhook subscriptions and their deliveries: the outbox. A subscription
-- keeps its place in the change feed (`after_change_id`); the changes after
-- it that match its filter become deliveries, one per change, each sent
-- until the receiver takes it (2xx), in feed order, or given up on.
CREATE TABLE webhook_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    -- The signing secret (`whsec_` and base64): it signs, so it is kept as is.
    secret TEXT NOT NULL,
    -- JSON lists; empty means any.
    entities TEXT NOT NULL DEFAULT '[]',
    actions TEXT NOT NULL DEFAULT '[]',
    city_ids TEXT NOT NULL DEFAULT '[]',
    enabled BOOLEAN NOT NULL,
    disabled_reason TEXT,
    after_change_id BIGINT NOT NULL,
    -- Which instance delivers for it, until when (one at a time).
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id BIGINT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    change_id BIGINT NOT NULL REFERENCES changes (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (subscription_id, change_id)
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (subscription_id, status, change_id);
