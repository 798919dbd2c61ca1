CREATE TABLE cities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (length(name) > 0),
    names TEXT NOT NULL DEFAULT '{}',
    alternate_names TEXT NOT NULL DEFAULT '[]',
    country_code TEXT NOT NULL CHECK (length(country_code) = 2),
    subdivision_code TEXT,
    latitude DOUBLE CHECK (latitude BETWEEN -90 AND 90),
    longitude DOUBLE CHECK (longitude BETWEEN -180 AND 180),
    population BIGINT CHECK (population >= 0),
    timezone TEXT,
    wikidata_id TEXT UNIQUE,
    geonames_id BIGINT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Default order of every city list: largest population first, then id.
CREATE INDEX cities_by_population ON cities (population DESC, id);
CREATE INDEX cities_by_country ON cities (country_code, population DESC, id);

CREATE TABLE city_search_tokens (
    token TEXT NOT NULL,
    city_id BIGINT NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    PRIMARY KEY (token, city_id)
) WITHOUT ROWID;

CREATE INDEX city_search_tokens_by_city ON city_search_tokens (city_id);
