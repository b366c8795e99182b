-- The copies whose loans the model has yet to count, when the applier
-- defers derived state (branch.Deferral): noted in the transaction that
-- applies their ops, counted and deleted together by the catch-up pass
-- after the commit. Local, like the model.
CREATE TABLE recommend_dirty (
	item_id TEXT PRIMARY KEY
) WITHOUT ROWID;
