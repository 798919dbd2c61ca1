DROP INDEX twinnings_by_last_exchange;
ALTER TABLE twinnings DROP COLUMN last_exchange_last;
ALTER TABLE twinnings DROP COLUMN last_exchange;
DROP TABLE events;
