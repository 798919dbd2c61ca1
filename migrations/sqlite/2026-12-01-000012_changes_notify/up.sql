-- PostgreSQL notifies other instances of each committed change (see its
-- migration of the same name). A SQLite database has one server process and
-- its version is a read of a local index: nothing to add.
SELECT 1;
