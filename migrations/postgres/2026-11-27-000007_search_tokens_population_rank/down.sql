ALTER TABLE city_search_tokens DROP COLUMN population_rank;
