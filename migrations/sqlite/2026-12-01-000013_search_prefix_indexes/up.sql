-- A one-word search for a common prefix ("sa", "nov", "san") matches
-- thousands of words. These indexes hold every search word under its first
-- two and three letters with its city's rank, largest first, so such a search
-- reads its page of entries in order (checking each against the whole prefix
-- when it is longer) instead of collecting and sorting them all. The
-- expression is the one the query uses, letter for letter. (One letter needs
-- none: nearly every large city matches, so walking the cities largest first
-- ends at once. Each index costs the bulk import of every city's words about
-- 15% more.)
CREATE INDEX city_search_tokens_first2 ON city_search_tokens (substr(token, 1, 2), population_rank DESC, city_id, token);
CREATE INDEX city_search_tokens_first3 ON city_search_tokens (substr(token, 1, 3), population_rank DESC, city_id, token);
