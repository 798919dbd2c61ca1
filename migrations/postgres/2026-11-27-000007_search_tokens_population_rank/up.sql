-- Each search word carries its city's sort key: the population, or -1 when
-- unknown (so unknown sorts last without NULLS LAST). A prefix search then
-- orders its matches from the word rows alone, without reading each city.
ALTER TABLE city_search_tokens ADD COLUMN population_rank BIGINT NOT NULL DEFAULT -1;
UPDATE city_search_tokens t
   SET population_rank = COALESCE(c.population, -1)
  FROM cities c
 WHERE c.id = t.city_id AND c.population IS NOT NULL;
