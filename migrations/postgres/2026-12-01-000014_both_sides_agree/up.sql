-- Both sides agree. A twinning keeps each city's confirmation (JSON: when and
-- by which token), NULL until that city confirms; an event keeps the city
-- whose staff reported it (NULL: an admin) and the sender's review of a
-- report its partner made (JSON: confirmed or disputed, when, by whom, why).
-- What is already stored was entered by admins: its twinnings count as
-- confirmed by both cities since they were registered, and its events as
-- reported by the city that sent them, so nothing awaits a review.
ALTER TABLE twinnings
    ADD COLUMN confirmed_low TEXT,
    ADD COLUMN confirmed_high TEXT;
UPDATE twinnings SET
    confirmed_low = json_build_object('at', to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'by', json_build_object('token_id', NULL, 'name', 'registry: stored before confirmations were recorded'))::text,
    confirmed_high = json_build_object('at', to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'by', json_build_object('token_id', NULL, 'name', 'registry: stored before confirmations were recorded'))::text;

ALTER TABLE events
    ADD COLUMN reported_by_city_id BIGINT REFERENCES cities (id),
    ADD COLUMN review TEXT;
UPDATE events SET reported_by_city_id = from_city_id;
