-- Each language tag of an event, in lower case, so that a language filter
-- finds its few events from an index instead of reading every event's list.
CREATE TABLE event_languages (
    language TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    PRIMARY KEY (language, event_id)
) WITHOUT ROWID;
CREATE INDEX event_languages_by_event ON event_languages (event_id);
INSERT OR IGNORE INTO event_languages (language, event_id)
    SELECT lower(tags.value), events.id FROM events, json_each(events.languages) AS tags;
