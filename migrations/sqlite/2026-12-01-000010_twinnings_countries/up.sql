-- Each twinning carries its two cities' countries, kept by triggers, so that
-- a country's twinnings are one index range (a country's city list joined
-- city by city cost 100-200 ms for the United States' 15,000 twinnings).
ALTER TABLE twinnings ADD COLUMN country_low TEXT NOT NULL DEFAULT '';
ALTER TABLE twinnings ADD COLUMN country_high TEXT NOT NULL DEFAULT '';
UPDATE twinnings SET
    country_low = (SELECT country_code FROM cities WHERE cities.id = twinnings.city_low_id),
    country_high = (SELECT country_code FROM cities WHERE cities.id = twinnings.city_high_id);

CREATE TRIGGER twinnings_countries_on_insert AFTER INSERT ON twinnings BEGIN
    UPDATE twinnings SET
        country_low = (SELECT country_code FROM cities WHERE cities.id = NEW.city_low_id),
        country_high = (SELECT country_code FROM cities WHERE cities.id = NEW.city_high_id)
    WHERE id = NEW.id;
END;

CREATE TRIGGER twinnings_countries_on_pair AFTER UPDATE OF city_low_id, city_high_id ON twinnings BEGIN
    UPDATE twinnings SET
        country_low = (SELECT country_code FROM cities WHERE cities.id = NEW.city_low_id),
        country_high = (SELECT country_code FROM cities WHERE cities.id = NEW.city_high_id)
    WHERE id = NEW.id;
END;

CREATE TRIGGER cities_country_to_twinnings AFTER UPDATE OF country_code ON cities
WHEN OLD.country_code IS NOT NEW.country_code BEGIN
    UPDATE twinnings SET country_low = NEW.country_code WHERE city_low_id = NEW.id;
    UPDATE twinnings SET country_high = NEW.country_code WHERE city_high_id = NEW.id;
END;

-- A country's (or a pair of countries') active twinnings by start and
-- kind, from the index alone.
CREATE INDEX twinnings_by_country_low ON twinnings (country_low, country_high, status, established_year, established_md, kind);
CREATE INDEX twinnings_by_country_high ON twinnings (country_high, country_low, status, established_year, established_md, kind);
