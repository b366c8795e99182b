-- Issue 17's additions: a print notice marked posted by staff; the hash of
-- a notice's key its email Message-ID carries (so a bounce naming only the
-- Message-ID finds its notice through an index); a covering index of the
-- statistics (a range of claimed_at, never a scan of the whole history).
ALTER TABLE notices ADD COLUMN posted_at TEXT NOT NULL DEFAULT '';
ALTER TABLE notices ADD COLUMN msg_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS notices_msg_hash ON notices (msg_hash) WHERE msg_hash<>'';
CREATE INDEX IF NOT EXISTS notices_stats ON notices (claimed_at, kind, channel, status, opened_at, clicked_at, bounced_at);

-- Claim leases: a notice claimed by a node that never sent it (crashed,
-- gone) is taken over by another after the lease (notices.takeover); the
-- latest takeover names the claimer, whatever order the ops arrive in.
ALTER TABLE notices ADD COLUMN takeover_stamp TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS notices_status ON notices (status, claimed_at);

-- An overdue rule's delay counted in calendar days (0, the default) or in
-- days the loan's branch is open (1: closed days and holidays do not count).
ALTER TABLE notice_overdue_rules ADD COLUMN open_days INTEGER NOT NULL DEFAULT 0;
