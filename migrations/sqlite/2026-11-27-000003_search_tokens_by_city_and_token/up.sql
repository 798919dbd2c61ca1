-- Checking whether one city has a word with a given prefix (the plan PostgreSQL
-- picks for common prefixes: walk cities by population, probe each) needs the
-- token after the city id in the index, not only the city id.
DROP INDEX city_search_tokens_by_city;
CREATE INDEX city_search_tokens_by_city ON city_search_tokens (city_id, token);
