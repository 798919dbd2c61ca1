-- Each language tag of an event, in lower case, so that a language filter
-- finds its few events from an index instead of reading every event's list.
-- "C" ordering, so that the tags that extend `pt` lie between `pt-` and `pt.`.
CREATE TABLE event_languages (
    language TEXT COLLATE "C" NOT NULL,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    PRIMARY KEY (language, event_id)
);
CREATE INDEX event_languages_by_event ON event_languages (event_id);
INSERT INTO event_languages (language, event_id)
    SELECT DISTINCT lower(tags.value), events.id
      FROM events, json_array_elements_text(events.languages::json) AS tags (value);
