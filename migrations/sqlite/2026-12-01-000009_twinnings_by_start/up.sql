-- Anniversaries walk each start year's active twinnings in calendar order,
-- from the index alone.
CREATE INDEX twinnings_by_start ON twinnings (status, established_year, established_md, id);
