DROP TRIGGER changes_notify ON changes;
DROP FUNCTION notify_registry_change();
