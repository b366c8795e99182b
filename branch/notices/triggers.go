package notices

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
)

// NoticeReadingList is the preference of the monthly reading list
// (domain.NoticeReadingList), off until a patron opts in.
const NoticeReadingList = domain.NoticeReadingList

// Options are the thresholds of the triggers that are the library's
// choice rather than a patron's.
type Options struct {
	// FinesThreshold: a patron whose balance is over it (cents) is told,
	// at most once a month while it stays over.
	FinesThreshold int64
	// CardExpiryDays: a card expiring within this many days is told about.
	CardExpiryDays int
	// RecentDays bounds how long after the event a welcome or a hold
	// cancelled or expired is still told (a node that was down longer
	// does not send stale news).
	RecentDays int
}

// DefaultOptions are the library's defaults.
func DefaultOptions() Options {
	return Options{FinesThreshold: 500, CardExpiryDays: 30, RecentDays: 7}
}

// A candidate is a notice due now by the replicated state: its threshold
// was crossed and the state that makes it due still holds. Its base is
// kind:subject:occurrence, the same on every node.
type candidate struct {
	Base       string
	Kind       string
	PatronID   string
	Subject    string // loan, hold or patron ID
	Occurrence string // the due date, the trap, the expiry date, the month; may be empty
	BranchID   string
	Date       string // the notice's main date
	Amount     int64
	Block      bool // an overdue rule that blocks until returned
	Template   string
}

func baseKey(kind, subject, occurrence string) string {
	if occurrence == "" {
		return kind + ":" + subject
	}
	return kind + ":" + subject + ":" + occurrence
}

// Key is the notice key of a base sent through channel.
func Key(base, channel string) string { return base + ":" + channel }

// addDays adds n calendar days to a library date (YYYY-MM-DD).
func addDays(date string, n int) string {
	d, err := time.Parse(domain.DateLayout, date)
	if err != nil {
		return ""
	}
	return d.AddDate(0, 0, n).Format(domain.DateLayout)
}

// prefsOf is every patron's messaging preferences that differ from the
// defaults (read from branch/patronprefs' table; a node that does not run
// that capability has the defaults for all).
func prefsOf(ctx context.Context, q replicate.Querier, patronID string) (map[string]domain.MessagingPrefs, error) {
	out := map[string]domain.MessagingPrefs{}
	var has int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='patron_prefs'`).Scan(&has); err != nil || has == 0 {
		return out, err
	}
	sqlq := `SELECT patron_id, value FROM patron_prefs WHERE field='messaging'`
	args := []any{}
	if patronID != "" {
		sqlq += ` AND patron_id=?`
		args = append(args, patronID)
	}
	rows, err := q.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		p := domain.DefaultMessagingPrefs()
		if json.Unmarshal([]byte(v), &p) == nil {
			out[id] = p
		}
	}
	return out, rows.Err()
}

// evaluation is one reading of the triggers: the library's day, the rules
// and the preferences.
type evaluation struct {
	now    time.Time // in the library's time zone
	today  string
	todayN int // today as dayNum
	opts   Options
	rules  *ruleBook
	prefs  map[string]domain.MessagingPrefs
	// cals are the branches' opening days, for rules counted in open
	// days (opendays.go); nil when no rule is.
	cals *calendars
}

func (e *evaluation) pref(patron string) domain.MessagingPrefs {
	if p, ok := e.prefs[patron]; ok {
		return p
	}
	return domain.DefaultMessagingPrefs()
}

func (e *evaluation) wants(patron, notice string) bool {
	return slices.Contains(e.pref(patron).Notices, notice)
}

// filter is "" or " AND <col>=?" with its argument.
func filter(col, patronID string) (string, []any) {
	if patronID == "" {
		return "", nil
	}
	return " AND " + col + "=?", []any{patronID}
}

// evaluate lists the notices due at now (library time) by the state in q,
// for one patron or (patronID "") all. Each notice is due from its
// threshold until the next notice of the same subject supersedes it (a
// pre-due notice until the due date, due today until the first overdue,
// ...), so a run that was missed still finds it, and its key makes it
// one notice however often it is found.
func evaluate(ctx context.Context, q replicate.Querier, now time.Time, opts Options, patronID string, emit func(candidate) error) error {
	rules, err := loadRuleBook(ctx, q)
	if err != nil {
		return err
	}
	prefs, err := prefsOf(ctx, q, patronID)
	if err != nil {
		return err
	}
	e := &evaluation{now: now, today: now.Format(domain.DateLayout), opts: opts, rules: rules, prefs: prefs}
	if rules.openDays {
		if e.cals, err = loadCalendars(ctx, q); err != nil {
			return err
		}
	}
	e.todayN, _ = dayNum(e.today)
	for _, f := range []func(context.Context, replicate.Querier, *evaluation, string, func(candidate) error) error{
		e.loans, e.readyHolds, e.closedHolds, e.patrons, e.fines, e.readingLists, e.eventNotices} {
		if err := f(ctx, q, e, patronID, emit); err != nil {
			return err
		}
	}
	return nil
}

type stage struct {
	kind  string
	start int // a day number (dayNum)
	rule  OverdueRule
}

// dayNum is a library date (YYYY-MM-DD) as a count of days, read without
// allocating (the triggers read one per open loan each minute).
func dayNum(s string) (int, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	n := func(b string) int {
		v := 0
		for i := 0; i < len(b); i++ {
			if b[i] < '0' || b[i] > '9' {
				return -1
			}
			v = v*10 + int(b[i]-'0')
		}
		return v
	}
	y, m, d := n(s[:4]), n(s[5:7]), n(s[8:])
	if y < 0 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, false
	}
	return int(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400), true
}

// loanStage is the notice a loan due on due is at today, if any: the one
// whose threshold was crossed last.
func (e *evaluation) loanStage(patron, branchID, category, due string) (stage, bool) {
	dn, ok := dayNum(due)
	if !ok {
		return stage{}, false
	}
	p := e.pref(patron)
	var buf [5]stage
	st := buf[:0]
	if slices.Contains(p.Notices, domain.NoticePreDue) {
		if p.DaysInAdvance > 0 {
			st = append(st, stage{kind: KindPreDue, start: dn - p.DaysInAdvance})
		}
		st = append(st, stage{kind: KindDueToday, start: dn})
	}
	if slices.Contains(p.Notices, domain.NoticeOverdue) {
		for _, r := range e.rules.levels(branchID, category) {
			k := [...]string{"", KindOverdue1, KindOverdue2, KindOverdue3}[r.Level]
			st = append(st, stage{kind: k, start: e.overdueStart(branchID, dn, r), rule: r})
		}
	}
	var cur stage
	found := false
	for _, s := range st {
		// The latest threshold crossed; of equal ones, the later listed.
		if s.start <= e.todayN && (!found || s.start >= cur.start) {
			cur, found = s, true
		}
	}
	return cur, found
}

func (e *evaluation) loans(ctx context.Context, q replicate.Querier, _ *evaluation, patronID string, emit func(candidate) error) error {
	f, args := filter("l.patron_id", patronID)
	rows, err := q.QueryContext(ctx, `SELECT l.loan_id, l.patron_id, l.branch_id, l.due_date, p.category FROM loans l
		JOIN patrons p ON p.patron_id=l.patron_id WHERE l.returned_at='' AND l.issued=1 AND l.lost=0 AND l.due_date<>''
		AND p.registered_at<>''`+f, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, patron, br, due, cat string
		if err := rows.Scan(&id, &patron, &br, &due, &cat); err != nil {
			return err
		}
		s, ok := e.loanStage(patron, br, cat, due)
		if !ok {
			continue
		}
		if err := emit(candidate{Base: baseKey(s.kind, id, due), Kind: s.kind, PatronID: patron, Subject: id, Occurrence: due,
			BranchID: br, Date: due, Block: s.rule.Block, Template: s.rule.Template}); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (e *evaluation) readyHolds(ctx context.Context, q replicate.Querier, _ *evaluation, patronID string, emit func(candidate) error) error {
	f, args := filter("h.patron_id", patronID)
	rows, err := q.QueryContext(ctx, `SELECT h.hold_id, h.patron_id, h.pickup_branch, h.shelf_expires, h.trap_stamp FROM holds h
		JOIN patrons p ON p.patron_id=h.patron_id WHERE h.status='ready' AND p.registered_at<>''`+f, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, patron, br, by, trap string
		if err := rows.Scan(&id, &patron, &br, &by, &trap); err != nil {
			return err
		}
		if !e.wants(patron, domain.NoticeHoldReady) || (by != "" && by < e.today) {
			continue
		}
		if err := emit(candidate{Base: baseKey(KindHoldReady, id, trap), Kind: KindHoldReady, PatronID: patron, Subject: id,
			Occurrence: trap, BranchID: br, Date: by}); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (e *evaluation) closedHolds(ctx context.Context, q replicate.Querier, _ *evaluation, patronID string, emit func(candidate) error) error {
	f, args := filter("h.patron_id", patronID)
	since := e.now.UTC().AddDate(0, 0, -e.opts.RecentDays).Format(domain.TimeLayout)
	rows, err := q.QueryContext(ctx, `SELECT h.hold_id, h.patron_id, h.pickup_branch, h.status FROM holds h
		JOIN patrons p ON p.patron_id=h.patron_id WHERE h.status IN ('cancelled','expired') AND h.closed_at>=?
		AND p.registered_at<>''`+f, append([]any{since}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, patron, br, status string
		if err := rows.Scan(&id, &patron, &br, &status); err != nil {
			return err
		}
		if !e.wants(patron, domain.NoticeHoldReady) {
			continue
		}
		kind := KindHoldCancelled
		if status == domain.HoldExpired {
			kind = KindHoldExpired
		}
		if err := emit(candidate{Base: baseKey(kind, id, ""), Kind: kind, PatronID: patron, Subject: id, BranchID: br}); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (e *evaluation) patrons(ctx context.Context, q replicate.Querier, _ *evaluation, patronID string, emit func(candidate) error) error {
	f, args := filter("patron_id", patronID)
	since := addDays(e.today, -e.opts.RecentDays)
	until := addDays(e.today, e.opts.CardExpiryDays)
	rows, err := q.QueryContext(ctx, `SELECT patron_id, home_branch, registered_at, expiry_date FROM patrons
		WHERE registered_at<>'' AND (registered_at>=? OR (expiry_date>=? AND expiry_date<=?))`+f,
		append([]any{since, e.today, until}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, br, reg, exp string
		if err := rows.Scan(&id, &br, &reg, &exp); err != nil {
			return err
		}
		if reg >= since && reg <= e.today {
			if err := emit(candidate{Base: baseKey(KindWelcome, id, ""), Kind: KindWelcome, PatronID: id, Subject: id, BranchID: br}); err != nil {
				return err
			}
		}
		if exp != "" && exp >= e.today && exp <= until {
			if err := emit(candidate{Base: baseKey(KindCardExpiring, id, exp), Kind: KindCardExpiring, PatronID: id, Subject: id,
				Occurrence: exp, BranchID: br, Date: exp}); err != nil {
				return err
			}
		}
	}
	return rows.Err()
}

func (e *evaluation) fines(ctx context.Context, q replicate.Querier, _ *evaluation, patronID string, emit func(candidate) error) error {
	f, args := filter("f.patron_id", patronID)
	rows, err := q.QueryContext(ctx, `SELECT f.patron_id, p.home_branch, sum(f.amount_cents) FROM fees f JOIN patrons p ON p.patron_id=f.patron_id
		WHERE p.registered_at<>''`+f+` GROUP BY f.patron_id HAVING sum(f.amount_cents) > ?`, append(args, e.opts.FinesThreshold)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	month := e.today[:7]
	for rows.Next() {
		var id, br string
		var bal int64
		if err := rows.Scan(&id, &br, &bal); err != nil {
			return err
		}
		if err := emit(candidate{Base: baseKey(KindFines, id, month), Kind: KindFines, PatronID: id, Subject: id, Occurrence: month,
			BranchID: br, Amount: bal}); err != nil {
			return err
		}
	}
	return rows.Err()
}
