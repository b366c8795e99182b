-- Digital lending (branch/digital): licences bought for digital titles,
-- loans granted under them, their renewals and the hold queues. Every row
-- is a fold of digital.* ops; ops may arrive in any order, so a row may be
-- started by any op naming it and completed by the others.
CREATE TABLE IF NOT EXISTS digital_licences (
	licence_id TEXT PRIMARY KEY,
	biblio_id  TEXT NOT NULL,
	copies     INTEGER NOT NULL,
	users      INTEGER NOT NULL,
	max_loans  INTEGER NOT NULL DEFAULT 0,
	expires_on TEXT NOT NULL DEFAULT '',
	note       TEXT NOT NULL DEFAULT '',
	added_at   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS digital_licences_biblio ON digital_licences (biblio_id);

CREATE TABLE IF NOT EXISTS digital_loans (
	loan_id       TEXT PRIMARY KEY,
	biblio_id     TEXT NOT NULL DEFAULT '',
	licence_id    TEXT NOT NULL DEFAULT '',
	patron_id     TEXT NOT NULL DEFAULT '',
	granted_at    TEXT NOT NULL DEFAULT '',
	due_date      TEXT NOT NULL DEFAULT '',
	hold_id       TEXT NOT NULL DEFAULT '',
	returned_at   TEXT NOT NULL DEFAULT '',
	return_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS digital_loans_biblio ON digital_loans (biblio_id, returned_at);
CREATE INDEX IF NOT EXISTS digital_loans_patron ON digital_loans (patron_id, returned_at);
CREATE INDEX IF NOT EXISTS digital_loans_due ON digital_loans (returned_at, due_date);

CREATE TABLE IF NOT EXISTS digital_renewals (
	renewal_id TEXT PRIMARY KEY,
	loan_id    TEXT NOT NULL,
	due_date   TEXT NOT NULL,
	renewed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS digital_renewals_loan ON digital_renewals (loan_id);

CREATE TABLE IF NOT EXISTS digital_holds (
	hold_id     TEXT PRIMARY KEY,
	biblio_id   TEXT NOT NULL DEFAULT '',
	patron_id   TEXT NOT NULL DEFAULT '',
	placed_at   TEXT NOT NULL DEFAULT '',
	seq         INTEGER NOT NULL DEFAULT 0, -- place in the title's queue, in the order decided
	status_rank INTEGER NOT NULL DEFAULT 0, -- 0 waiting, 1 filled, 2 cancelled
	loan_id     TEXT NOT NULL DEFAULT '',
	closed_at   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS digital_holds_queue ON digital_holds (biblio_id, status_rank, seq);
CREATE INDEX IF NOT EXISTS digital_holds_patron ON digital_holds (patron_id, status_rank);
