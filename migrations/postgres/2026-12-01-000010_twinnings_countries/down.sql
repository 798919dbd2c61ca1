DROP INDEX twinnings_by_country_high;
DROP INDEX twinnings_by_country_low;
DROP TRIGGER cities_country_to_twinnings ON cities;
DROP FUNCTION cities_country_to_twinnings();
DROP TRIGGER twinnings_countries ON twinnings;
DROP FUNCTION twinnings_countries();
ALTER TABLE twinnings DROP COLUMN country_high, DROP COLUMN country_low;
