DROP INDEX city_search_tokens_by_city;
CREATE INDEX city_search_tokens_by_city ON city_search_tokens (city_id);
