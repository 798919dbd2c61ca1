DROP TABLE event_languages;
