-- Instances serving from this database learn of each committed change by
-- notification instead of asking on every read (the response cache's
-- version). One notification per statement that records changes, with no
-- payload: PostgreSQL folds identical notifications of one transaction into
-- one, so an import of many rows sends one, delivered at its commit. The
-- channel names the schema, so registries in other schemas of the same
-- database do not wake each other's instances.
CREATE FUNCTION notify_registry_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('registry_changes_' || current_schema(), '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER changes_notify AFTER INSERT ON changes
    FOR EACH STATEMENT EXECUTE FUNCTION notify_registry_change();
