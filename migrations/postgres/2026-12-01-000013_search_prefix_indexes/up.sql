-- A one-word search for a short prefix ("s", "sa", "nov") matches thousands
-- of words; each of these indexes holds every search word under its first
-- 1, 2 or 3 letters with its city's rank, largest first, so such a search
-- reads one page of entries in order instead of collecting and sorting them
-- all. The expression is the one the query uses, letter for letter.
CREATE INDEX city_search_tokens_first1 ON city_search_tokens (substr(token, 1, 1), population_rank DESC, city_id, token);
CREATE INDEX city_search_tokens_first2 ON city_search_tokens (substr(token, 1, 2), population_rank DESC, city_id, token);
CREATE INDEX city_search_tokens_first3 ON city_search_tokens (substr(token, 1, 3), population_rank DESC, city_id, token);
