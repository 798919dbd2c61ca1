ALTER TABLE events DROP COLUMN review, DROP COLUMN reported_by_city_id;
ALTER TABLE twinnings DROP COLUMN confirmed_high, DROP COLUMN confirmed_low;
