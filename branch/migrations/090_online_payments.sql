-- Online payments this node started with a card payment provider: one row
-- per attempt, keyed by the attempt's idempotency key (also sent to the
-- provider). The table is the node's own dealings with the provider, like a
-- print spool: it is not replicated nor part of the state hash. The
-- payment itself is a fee.lines op, as a desk payment is, and replicates.
CREATE TABLE IF NOT EXISTS online_payments (
	attempt_key  TEXT PRIMARY KEY,
	patron_id    TEXT NOT NULL,
	fees         TEXT NOT NULL,            -- JSON [{"fee_id","amount_cents"}]
	amount_cents INTEGER NOT NULL,
	status       TEXT NOT NULL,            -- started, pending, paid, declined, cancelled
	provider_id  TEXT NOT NULL DEFAULT '',
	checkout_url TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS online_payments_provider ON online_payments (provider_id);
