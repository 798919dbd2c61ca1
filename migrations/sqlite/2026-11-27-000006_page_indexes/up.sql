-- A city's twinnings are read a page at a time in id order: once where it is
-- the lower id of the pair and once where it is the higher, each from an index
-- that holds its rows in id order, so a city with thousands of partners reads
-- one page instead of sorting all of them.
CREATE INDEX twinnings_by_city_low ON twinnings (city_low_id, id);
DROP INDEX twinnings_by_city_high;
CREATE INDEX twinnings_by_city_high ON twinnings (city_high_id, id);

-- Most events answer none: index only the replies.
DROP INDEX events_replies;
CREATE INDEX events_replies ON events (in_reply_to) WHERE in_reply_to IS NOT NULL;
