CREATE TABLE cities (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) > 0),
    names TEXT NOT NULL DEFAULT '{}',
    alternate_names TEXT NOT NULL DEFAULT '[]',
    country_code TEXT NOT NULL CHECK (length(country_code) = 2),
    subdivision_code TEXT,
    latitude DOUBLE PRECISION CHECK (latitude BETWEEN -90 AND 90),
    longitude DOUBLE PRECISION CHECK (longitude BETWEEN -180 AND 180),
    population BIGINT CHECK (population >= 0),
    timezone TEXT,
    wikidata_id TEXT UNIQUE,
    geonames_id BIGINT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Default order of every city list: largest population first (unknown last), then id.
CREATE INDEX cities_by_population ON cities (population DESC NULLS LAST, id);
CREATE INDEX cities_by_country ON cities (country_code, population DESC NULLS LAST, id);

-- "C" collation: prefix search is a byte-wise range scan on this primary key.
CREATE TABLE city_search_tokens (
    token TEXT COLLATE "C" NOT NULL,
    city_id BIGINT NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    PRIMARY KEY (token, city_id)
);

CREATE INDEX city_search_tokens_by_city ON city_search_tokens (city_id);
