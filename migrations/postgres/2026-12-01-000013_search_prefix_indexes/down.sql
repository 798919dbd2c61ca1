DROP INDEX city_search_tokens_first2;
DROP INDEX city_search_tokens_first3;
