ALTER TABLE events DROP CONSTRAINT events_completed_have_a_date;
UPDATE events SET date = '9999' WHERE date IS NULL;
ALTER TABLE events ALTER COLUMN date SET NOT NULL;
