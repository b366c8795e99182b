-- An item's properties: free text a kiosk shows or checks, e.g. "DVD 2
-- discs, booklet" or "security case". A last-writer-wins field of item.set
-- (clock in `clocks`), set by staff or by a kiosk's SIP2 19.
ALTER TABLE items ADD COLUMN properties TEXT NOT NULL DEFAULT '';
