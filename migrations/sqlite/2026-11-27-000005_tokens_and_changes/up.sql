-- Access tokens: only a SHA-256 hash of the secret is kept.
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- The cities a city token may edit.
CREATE TABLE token_cities (
    token_id BIGINT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    city_id BIGINT NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    PRIMARY KEY (token_id, city_id)
);
CREATE INDEX token_cities_by_city ON token_cities (city_id);

-- Every write, in commit order: who, when, what, before and after (JSON).
CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id BIGINT,
    token_name TEXT NOT NULL,
    entity TEXT NOT NULL CHECK (entity IN ('city', 'twinning', 'event')),
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    before TEXT,
    after TEXT,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX changes_by_entity ON changes (entity, entity_id, id);
