ALTER TABLE webhook_subscriptions DROP COLUMN previous_secret_until;
ALTER TABLE webhook_subscriptions DROP COLUMN previous_secret;
