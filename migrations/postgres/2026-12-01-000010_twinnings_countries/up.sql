-- Each twinning carries its two cities' countries, kept by triggers, so that
-- a country's twinnings are one index range (a country's city list joined
-- city by city cost 100-200 ms for the United States' 15,000 twinnings).
ALTER TABLE twinnings
    ADD COLUMN country_low TEXT NOT NULL DEFAULT '',
    ADD COLUMN country_high TEXT NOT NULL DEFAULT '';
UPDATE twinnings SET country_low = low.country_code, country_high = high.country_code
FROM cities low, cities high
WHERE low.id = twinnings.city_low_id AND high.id = twinnings.city_high_id;

CREATE FUNCTION twinnings_countries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.country_low := (SELECT country_code FROM cities WHERE id = NEW.city_low_id);
    NEW.country_high := (SELECT country_code FROM cities WHERE id = NEW.city_high_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER twinnings_countries BEFORE INSERT OR UPDATE OF city_low_id, city_high_id ON twinnings
FOR EACH ROW EXECUTE FUNCTION twinnings_countries();

CREATE FUNCTION cities_country_to_twinnings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE twinnings SET country_low = NEW.country_code WHERE city_low_id = NEW.id;
    UPDATE twinnings SET country_high = NEW.country_code WHERE city_high_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER cities_country_to_twinnings AFTER UPDATE OF country_code ON cities
FOR EACH ROW WHEN (OLD.country_code IS DISTINCT FROM NEW.country_code)
EXECUTE FUNCTION cities_country_to_twinnings();

CREATE INDEX twinnings_by_country_low ON twinnings (country_low, country_high, status, established_year, established_md, kind);
CREATE INDEX twinnings_by_country_high ON twinnings (country_high, country_low, status, established_year, established_md, kind);
