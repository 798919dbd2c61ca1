-- A planned exchange may not have a date yet: only a completed one needs it.
-- An undated event sorts as the far future (date_first = date_last = 99991231),
-- first in a timeline, newest first.
ALTER TABLE events ALTER COLUMN date DROP NOT NULL;
ALTER TABLE events ADD CONSTRAINT events_completed_have_a_date CHECK (date IS NOT NULL OR status <> 'completed');
