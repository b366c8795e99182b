-- A checkout asks whether another patron waits for this very item
-- (item-level holds); without an index that was a scan of every hold.
CREATE INDEX holds_item ON holds (item_id, status_rank);
