DROP TABLE city_search_tokens;
DROP TABLE cities;
