-- Each search word carries its city's sort key: the population, or -1 when
-- unknown (so unknown sorts last without NULLS LAST). A prefix search then
-- orders its matches from the word rows alone, without reading each city.
ALTER TABLE city_search_tokens ADD COLUMN population_rank BIGINT NOT NULL DEFAULT -1;
UPDATE city_search_tokens
   SET population_rank = COALESCE((SELECT population FROM cities WHERE cities.id = city_search_tokens.city_id), -1);
