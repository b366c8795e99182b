-- State tables are derived from the op log by the appliers in apply*.go.
-- Every LWW-merged row keeps per-field stamps in `clocks` (JSON object).

CREATE TABLE libraries (
	branch_id       TEXT PRIMARY KEY,
	name            TEXT NOT NULL DEFAULT '',
	institution_id  TEXT NOT NULL DEFAULT '',
	address         TEXT NOT NULL DEFAULT '',
	email           TEXT NOT NULL DEFAULT '',
	phone           TEXT NOT NULL DEFAULT '',
	hold_shelf_days INTEGER NOT NULL DEFAULT 7,
	clocks          TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE categories (
	category         TEXT PRIMARY KEY,
	description      TEXT NOT NULL DEFAULT '',
	max_fine_cents   INTEGER NOT NULL DEFAULT 1000,
	enrolment_months INTEGER NOT NULL DEFAULT 12,
	max_holds        INTEGER NOT NULL DEFAULT 10,
	clocks           TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE item_types (
	item_type           TEXT PRIMARY KEY,
	description         TEXT NOT NULL DEFAULT '',
	replacement_cents   INTEGER NOT NULL DEFAULT 2000,
	processing_cents    INTEGER NOT NULL DEFAULT 500,
	clocks              TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE patrons (
	patron_id     TEXT PRIMARY KEY,
	cardnumber    TEXT NOT NULL DEFAULT '',
	firstname     TEXT NOT NULL DEFAULT '',
	surname       TEXT NOT NULL DEFAULT '',
	email         TEXT NOT NULL DEFAULT '',
	phone         TEXT NOT NULL DEFAULT '',
	address       TEXT NOT NULL DEFAULT '',
	date_of_birth TEXT NOT NULL DEFAULT '',
	home_branch   TEXT NOT NULL DEFAULT '',
	category      TEXT NOT NULL DEFAULT '',
	pin_hash      TEXT NOT NULL DEFAULT '',
	expiry_date   TEXT NOT NULL DEFAULT '',
	blocked       INTEGER NOT NULL DEFAULT 0,
	block_reason  TEXT NOT NULL DEFAULT '',
	registered_at TEXT NOT NULL DEFAULT '',
	clocks        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX patrons_cardnumber ON patrons (cardnumber);
CREATE INDEX patrons_surname ON patrons (surname COLLATE NOCASE);

CREATE TABLE biblios (
	biblio_id   TEXT PRIMARY KEY,
	title       TEXT NOT NULL DEFAULT '',
	subtitle    TEXT NOT NULL DEFAULT '',
	authors     TEXT NOT NULL DEFAULT '[]',
	subjects    TEXT NOT NULL DEFAULT '[]',
	isbn        TEXT NOT NULL DEFAULT '',
	language    TEXT NOT NULL DEFAULT '',
	format      TEXT NOT NULL DEFAULT 'book',
	publisher   TEXT NOT NULL DEFAULT '',
	year        INTEGER NOT NULL DEFAULT 0,
	licences    INTEGER NOT NULL DEFAULT 0,
	clocks      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX biblios_isbn ON biblios (isbn);

CREATE TABLE items (
	item_id      TEXT PRIMARY KEY,
	barcode      TEXT NOT NULL DEFAULT '',
	biblio_id    TEXT NOT NULL DEFAULT '',
	home_branch  TEXT NOT NULL DEFAULT '',
	location     TEXT NOT NULL DEFAULT '',
	item_type    TEXT NOT NULL DEFAULT '',
	call_number  TEXT NOT NULL DEFAULT '',
	price_cents  INTEGER NOT NULL DEFAULT 0,
	base_status  TEXT NOT NULL DEFAULT 'available',
	transit_to   TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL DEFAULT 'available',
	seen_at      TEXT NOT NULL DEFAULT '',
	clocks       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX items_barcode ON items (barcode);
CREATE INDEX items_biblio ON items (biblio_id);
CREATE INDEX items_status ON items (status);

CREATE TABLE loans (
	loan_id       TEXT PRIMARY KEY,
	item_id       TEXT NOT NULL DEFAULT '',
	patron_id     TEXT NOT NULL DEFAULT '',
	branch_id     TEXT NOT NULL DEFAULT '',
	issued_at     TEXT NOT NULL DEFAULT '',
	due_date      TEXT NOT NULL DEFAULT '',
	due_stamp     TEXT NOT NULL DEFAULT '',
	renewals      INTEGER NOT NULL DEFAULT 0,
	returned_at   TEXT NOT NULL DEFAULT '',
	return_branch TEXT NOT NULL DEFAULT '',
	return_stamp  TEXT NOT NULL DEFAULT '',
	lost          INTEGER NOT NULL DEFAULT 0,
	issued        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX loans_item ON loans (item_id, returned_at);
CREATE INDEX loans_patron ON loans (patron_id, returned_at);

CREATE TABLE loan_renewals (
	renewal_id TEXT PRIMARY KEY,
	loan_id    TEXT NOT NULL,
	due_date   TEXT NOT NULL,
	renewed_at TEXT NOT NULL,
	branch_id  TEXT NOT NULL
);
CREATE INDEX loan_renewals_loan ON loan_renewals (loan_id);

CREATE TABLE holds (
	hold_id       TEXT PRIMARY KEY,
	patron_id     TEXT NOT NULL DEFAULT '',
	biblio_id     TEXT NOT NULL DEFAULT '',
	item_id       TEXT NOT NULL DEFAULT '',
	pickup_branch TEXT NOT NULL DEFAULT '',
	placed_at     TEXT NOT NULL DEFAULT '',
	placed_stamp  TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL DEFAULT 'waiting',
	status_rank   INTEGER NOT NULL DEFAULT 0,
	status_stamp  TEXT NOT NULL DEFAULT '',
	trapped_item  TEXT NOT NULL DEFAULT '',
	trap_stamp    TEXT NOT NULL DEFAULT '',
	shelf_expires TEXT NOT NULL DEFAULT '',
	shelf_stamp   TEXT NOT NULL DEFAULT '',
	closed_at     TEXT NOT NULL DEFAULT '',
	placed        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX holds_biblio ON holds (biblio_id, status_rank, placed_stamp);
CREATE INDEX holds_patron ON holds (patron_id, status_rank);
CREATE INDEX holds_trapped ON holds (trapped_item);

-- Fees are a grow-only ledger: charges are positive, payments, waivers and
-- credits negative and name the charge they settle in applies_to.
CREATE TABLE fees (
	line_id     TEXT PRIMARY KEY,
	patron_id   TEXT NOT NULL,
	kind        TEXT NOT NULL,
	amount_cents INTEGER NOT NULL,
	applies_to  TEXT NOT NULL DEFAULT '',
	loan_id     TEXT NOT NULL DEFAULT '',
	item_id     TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	method      TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	branch_id   TEXT NOT NULL DEFAULT '',
	stamp       TEXT NOT NULL DEFAULT '' -- the op's (HLC, origin): ledger order
);
CREATE INDEX fees_patron ON fees (patron_id);
CREATE INDEX fees_applies ON fees (applies_to);

-- The circulation rules matrix; '*' is a wildcard.
CREATE TABLE rules (
	branch_id      TEXT NOT NULL,
	category       TEXT NOT NULL,
	item_type      TEXT NOT NULL,
	loan_days      INTEGER NOT NULL DEFAULT 21,
	renewals       INTEGER NOT NULL DEFAULT 2,
	max_loans      INTEGER NOT NULL DEFAULT 30,
	fine_cents     INTEGER NOT NULL DEFAULT 25,
	grace_days     INTEGER NOT NULL DEFAULT 0,
	max_fine_cents INTEGER NOT NULL DEFAULT 1000,
	holds_allowed  INTEGER NOT NULL DEFAULT 1,
	deleted        INTEGER NOT NULL DEFAULT 0,
	clocks         TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (branch_id, category, item_type)
);

CREATE TABLE opening_hours (
	branch_id TEXT NOT NULL,
	weekday   INTEGER NOT NULL, -- 0 Sunday .. 6 Saturday
	opens     TEXT NOT NULL DEFAULT '',
	closes    TEXT NOT NULL DEFAULT '',
	clocks    TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (branch_id, weekday)
);

CREATE TABLE closed_days (
	branch_id TEXT NOT NULL,
	date      TEXT NOT NULL,
	closed    INTEGER NOT NULL DEFAULT 1,
	reason    TEXT NOT NULL DEFAULT '',
	clocks    TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (branch_id, date)
);

CREATE TABLE staff (
	username      TEXT PRIMARY KEY,
	display_name  TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL DEFAULT 'circulation',
	branch_id     TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL DEFAULT '',
	active        INTEGER NOT NULL DEFAULT 1,
	clocks        TEXT NOT NULL DEFAULT '{}'
);

-- Every rule refusal a staff member overrode, with the reason.
CREATE TABLE overrides (
	op_id     TEXT PRIMARY KEY,
	action    TEXT NOT NULL,
	codes     TEXT NOT NULL,
	reason    TEXT NOT NULL,
	actor     TEXT NOT NULL,
	channel   TEXT NOT NULL,
	patron_id TEXT NOT NULL DEFAULT '',
	item_id   TEXT NOT NULL DEFAULT '',
	at        TEXT NOT NULL
);
