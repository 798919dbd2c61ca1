-- A rotated secret: the one it replaced keeps signing deliveries beside the
-- new one until `previous_secret_until`, so a receiver can switch without
-- rejecting a delivery in between.
ALTER TABLE webhook_subscriptions ADD COLUMN previous_secret TEXT;
ALTER TABLE webhook_subscriptions ADD COLUMN previous_secret_until TIMESTAMP;
