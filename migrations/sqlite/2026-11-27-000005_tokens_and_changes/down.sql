DROP TABLE changes;
DROP TABLE token_cities;
DROP TABLE tokens;
