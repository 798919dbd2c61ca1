DROP INDEX events_replies;
CREATE INDEX events_replies ON events (in_reply_to);
DROP INDEX twinnings_by_city_high;
CREATE INDEX twinnings_by_city_high ON twinnings (city_high_id);
DROP INDEX twinnings_by_city_low;
