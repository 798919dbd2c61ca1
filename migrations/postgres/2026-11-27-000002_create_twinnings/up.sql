-- An unordered pair, stored with the smaller city id first, so that A–B and
-- B–A are the same row and the unique constraint refuses the second.
CREATE TABLE twinnings (
    id BIGSERIAL PRIMARY KEY,
    city_low_id BIGINT NOT NULL REFERENCES cities (id),
    city_high_id BIGINT NOT NULL REFERENCES cities (id),
    kind TEXT NOT NULL CHECK (kind IN ('sister_city', 'twin_town', 'friendship_city', 'partner_city', 'cooperation')),
    status TEXT NOT NULL CHECK (status IN ('planned', 'active', 'suspended', 'ended')),
    -- As given: YYYY, YYYY-MM or YYYY-MM-DD; year and MMDD (00 where unknown) for queries.
    established TEXT,
    established_year INTEGER,
    established_md INTEGER NOT NULL DEFAULT 0,
    ended TEXT,
    notes TEXT,
    source_urls TEXT NOT NULL DEFAULT '[]',
    status_history TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (city_low_id < city_high_id),
    UNIQUE (city_low_id, city_high_id)
);

CREATE INDEX twinnings_by_city_high ON twinnings (city_high_id);
-- Anniversaries: active twinnings in calendar order of their start.
CREATE INDEX twinnings_by_anniversary ON twinnings (status, established_md, id);
