DROP INDEX twinnings_by_country_high;
DROP INDEX twinnings_by_country_low;
DROP TRIGGER cities_country_to_twinnings;
DROP TRIGGER twinnings_countries_on_pair;
DROP TRIGGER twinnings_countries_on_insert;
ALTER TABLE twinnings DROP COLUMN country_high;
ALTER TABLE twinnings DROP COLUMN country_low;
