DROP TABLE twinnings;
