-- The character set a kiosk account speaks SIP2 in: '' (UTF-8, the
-- default), 'ascii' (accents folded), 'latin-1' or 'cp850'. A
-- last-writer-wins field of staff.set (clock in `clocks`), set through the
-- staff API and applied by the ACS to every message after the kiosk's login.
ALTER TABLE staff ADD COLUMN charset TEXT NOT NULL DEFAULT '';
