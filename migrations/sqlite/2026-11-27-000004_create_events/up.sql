-- What twinned cities send each other. `to_city_id` is the other city of the
-- twinning, kept for the city timelines. Dates are reduced precision, with the
-- first and last day of their period as YYYYMMDD numbers for order and windows.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    twinning_id BIGINT NOT NULL REFERENCES twinnings (id),
    kind TEXT NOT NULL CHECK (kind IN ('video_greeting', 'letter', 'delegation_visit', 'online_meeting', 'cultural_event', 'student_exchange', 'gift', 'aid', 'other')),
    from_city_id BIGINT NOT NULL REFERENCES cities (id),
    to_city_id BIGINT NOT NULL REFERENCES cities (id),
    mode TEXT CHECK (mode IN ('in_person', 'virtual', 'hybrid')),
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_preparation', 'postponed', 'completed', 'cancelled')),
    date TEXT NOT NULL,
    date_first INTEGER NOT NULL,
    date_last INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    languages TEXT NOT NULL DEFAULT '[]',
    media_urls TEXT NOT NULL DEFAULT '[]',
    participants INTEGER CHECK (participants >= 0),
    in_reply_to BIGINT REFERENCES events (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (from_city_id <> to_city_id)
);

CREATE INDEX events_timeline ON events (twinning_id, date_first, id);
CREATE INDEX events_from_city ON events (from_city_id, date_first, id);
CREATE INDEX events_to_city ON events (to_city_id, date_first, id);
CREATE INDEX events_by_date ON events (date_first, id);
CREATE INDEX events_replies ON events (in_reply_to);
CREATE INDEX events_completed ON events (twinning_id, status, date_last);

-- The latest completed exchange of each twinning, kept by every event write.
ALTER TABLE twinnings ADD COLUMN last_exchange TEXT;
ALTER TABLE twinnings ADD COLUMN last_exchange_last INTEGER;
CREATE INDEX twinnings_by_last_exchange ON twinnings (status, last_exchange_last);
