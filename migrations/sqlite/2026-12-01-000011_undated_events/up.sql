-- A planned exchange may not have a date yet: only a completed one needs it.
-- An undated event sorts as the far future (date_first = date_last = 99991231),
-- first in a timeline, newest first.
-- SQLite cannot drop NOT NULL: the table is rebuilt with foreign keys off
-- (so that dropping the old one cascades to nothing), in one transaction,
-- keeping the id sequence (ids of deleted events are never given again).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TEMP TABLE kept_sequence AS SELECT seq FROM sqlite_sequence WHERE name = 'events';
CREATE TABLE events_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    twinning_id BIGINT NOT NULL REFERENCES twinnings (id),
    kind TEXT NOT NULL CHECK (kind IN ('video_greeting', 'letter', 'delegation_visit', 'online_meeting', 'cultural_event', 'student_exchange', 'gift', 'aid', 'other')),
    from_city_id BIGINT NOT NULL REFERENCES cities (id),
    to_city_id BIGINT NOT NULL REFERENCES cities (id),
    mode TEXT CHECK (mode IN ('in_person', 'virtual', 'hybrid')),
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_preparation', 'postponed', 'completed', 'cancelled')),
    -- Unknown until it is set; a completed event always has one.
    date TEXT CHECK (date IS NOT NULL OR status <> 'completed'),
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
INSERT INTO events_rebuilt
    SELECT id, twinning_id, kind, from_city_id, to_city_id, mode, status, date,
        date_first, date_last, title, description, languages, media_urls, participants,
        in_reply_to, created_at, updated_at
    FROM events;
DROP TABLE events;
ALTER TABLE events_rebuilt RENAME TO events;
UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM temp.kept_sequence))
    WHERE name = 'events' AND EXISTS (SELECT 1 FROM temp.kept_sequence);
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'events', seq FROM temp.kept_sequence
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events');
DROP TABLE temp.kept_sequence;
CREATE INDEX events_timeline ON events (twinning_id, date_first, id);
CREATE INDEX events_from_city ON events (from_city_id, date_first, id);
CREATE INDEX events_to_city ON events (to_city_id, date_first, id);
CREATE INDEX events_by_date ON events (date_first, id);
CREATE INDEX events_completed ON events (twinning_id, status, date_last);
CREATE INDEX events_replies ON events (in_reply_to) WHERE in_reply_to IS NOT NULL;
COMMIT;
PRAGMA foreign_keys = ON;
