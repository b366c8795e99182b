-- loans_item (item_id, returned_at) served no query that loans_fork
-- (item_id, after_loan) does not serve as well: every lookup of an item's
-- loans is by item_id (and issued, return_stamp). One index fewer per loan
-- written.
DROP INDEX loans_item;
