ALTER TABLE events DROP COLUMN review;
ALTER TABLE events DROP COLUMN reported_by_city_id;
ALTER TABLE twinnings DROP COLUMN confirmed_high;
ALTER TABLE twinnings DROP COLUMN confirmed_low;
