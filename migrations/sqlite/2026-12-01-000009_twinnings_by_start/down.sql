DROP INDEX twinnings_by_start;
