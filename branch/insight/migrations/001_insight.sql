-- Insight: counters derived from the op log as ops are applied, so that no
-- request rescans history. Local derived state (as the search index and
-- the recommendation model): neither replicated nor hashed; every replica
-- folds the same ops into the same counts. Days and hours are in the
-- library's time zone.
--
-- One counter per day, hour, branch, channel and metric (loans, returns,
-- renewals, registrations, holds_placed, holds_ready, holds_fulfilled,
-- holds_shelf_expired, holds_cancelled).
CREATE TABLE insight_counts (
	day       TEXT NOT NULL,
	hour      INTEGER NOT NULL,
	branch_id TEXT NOT NULL,
	channel   TEXT NOT NULL,
	metric    TEXT NOT NULL,
	n         INTEGER NOT NULL,
	PRIMARY KEY (day, hour, branch_id, channel, metric)
) WITHOUT ROWID;

-- The same per day, without the hour: what reports by day, branch and
-- channel read (a twelfth of the rows of a day of opening hours).
CREATE TABLE insight_daily (
	day       TEXT NOT NULL,
	branch_id TEXT NOT NULL,
	channel   TEXT NOT NULL,
	metric    TEXT NOT NULL,
	n         INTEGER NOT NULL,
	PRIMARY KEY (day, branch_id, channel, metric)
) WITHOUT ROWID;

-- Per month and hour of the day: what the hour-of-day profile of a long
-- period reads for its whole months (its partial months come from
-- insight_counts), so a year's profile reads twelve months of rows.
CREATE TABLE insight_hourly (
	month     TEXT NOT NULL,
	hour      INTEGER NOT NULL,
	branch_id TEXT NOT NULL,
	channel   TEXT NOT NULL,
	metric    TEXT NOT NULL,
	n         INTEGER NOT NULL,
	PRIMARY KEY (month, hour, branch_id, channel, metric)
) WITHOUT ROWID;

-- Days from placing a hold to its copy being ready, per day the copy was
-- ready and pickup branch: a histogram, for percentiles.
CREATE TABLE insight_fill (
	day       TEXT NOT NULL,
	branch_id TEXT NOT NULL,
	days      INTEGER NOT NULL,
	n         INTEGER NOT NULL,
	PRIMARY KEY (day, branch_id, days)
) WITHOUT ROWID;

-- What a hold's counts need, whatever order its ops arrive in: when and
-- where it was placed, and the earliest time it reached each status (and
-- the time it was counted with, so an earlier one arriving later moves the
-- count). No patron is named.
CREATE TABLE insight_holds (
	hold_id   TEXT PRIMARY KEY,
	placed_at TEXT NOT NULL,
	branch_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE insight_hold_status (
	hold_id    TEXT NOT NULL,
	status     TEXT NOT NULL,
	at         TEXT NOT NULL,
	channel    TEXT NOT NULL,
	counted_at TEXT NOT NULL DEFAULT '',
	counted_ch TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (hold_id, status)
) WITHOUT ROWID;

-- The channels (a bit each) a patron used in a period ('D' day or 'M'
-- month, e.g. D2026-11-23, M2026-11): the least that counts patrons active
-- on two or more channels. Erasure deletes the patron's rows; the counts
-- in insight_multi name no one.
CREATE TABLE insight_active (
	period    TEXT NOT NULL,
	patron_id TEXT NOT NULL,
	channels  INTEGER NOT NULL,
	PRIMARY KEY (period, patron_id)
) WITHOUT ROWID;
CREATE INDEX insight_active_patron ON insight_active (patron_id);
CREATE TABLE insight_multi (
	period TEXT PRIMARY KEY,
	n      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE insight_meta (
	k TEXT PRIMARY KEY,
	v TEXT NOT NULL
) WITHOUT ROWID;

-- Handoff codes used, by the hash the handoff ops name (no patron): the
-- earliest use is counted, once, whatever order the ops came in.
CREATE TABLE insight_handoffs (
	code_hash  TEXT PRIMARY KEY,
	at         TEXT NOT NULL,
	channel    TEXT NOT NULL,
	counted_at TEXT NOT NULL DEFAULT '',
	counted_ch TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
