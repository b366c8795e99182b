package branch

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"stacks/branch/domain"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func checkPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 12 {
		return domain.Invalid("A PIN must be 4 to 12 characters.")
	}
	return nil
}

func checkLanguage(l string) error {
	if l == "" || slices.Contains(domain.Languages, l) {
		return nil
	}
	return domain.Invalid("%q is not a language we offer (%s).", l, strings.Join(domain.Languages, ", "))
}

func checkEmail(e string) error {
	if e == "" {
		return nil
	}
	if _, err := mail.ParseAddress(e); err != nil || strings.ContainsAny(e, " <>") {
		return domain.Invalid("%q is not an email address.", e)
	}
	return nil
}

// HashSecret hashes a PIN or password with bcrypt at the given cost.
func HashSecret(secret string, cost int) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(secret), cost)
	return string(b), err
}

// newCardnumber makes a 14-digit card number with a Luhn check digit.
func newCardnumber(r io.Reader) (string, error) {
	var b [13]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	digits := make([]byte, 14)
	digits[0] = '2'
	for i := 1; i < 13; i++ {
		digits[i] = '0' + b[i]%10
	}
	sum := 0
	for i := 12; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (12-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	digits[13] = byte('0' + (10-sum%10)%10)
	return string(digits), nil
}

func addMonths(d time.Time, months int) string {
	return d.AddDate(0, months, 0).Format(domain.DateLayout)
}

// RegisterPatron registers a new patron.
func (s *Service) RegisterPatron(ctx context.Context, np domain.NewPatron) (*domain.Patron, error) {
	np.Firstname, np.Surname = strings.TrimSpace(np.Firstname), strings.TrimSpace(np.Surname)
	if np.Surname == "" {
		return nil, domain.Invalid("A patron needs a surname.")
	}
	for what, v := range map[string]string{"First name": np.Firstname, "Surname": np.Surname, "Phone": np.Phone, "Address": np.Address} {
		if err := domain.CheckText(what, v, 200); err != nil {
			return nil, err
		}
	}
	if err := checkEmail(np.Email); err != nil {
		return nil, err
	}
	if np.DateOfBirth != "" {
		if _, err := domain.ParseDate(np.DateOfBirth); err != nil {
			return nil, err
		}
	}
	if np.ExpiryDate != "" {
		if _, err := domain.ParseDate(np.ExpiryDate); err != nil {
			return nil, err
		}
	}
	if np.Cardnumber != "" {
		if err := checkCode("card number", np.Cardnumber); err != nil {
			return nil, err
		}
	}
	hash := np.PINHash
	if hash == "" {
		if err := checkPIN(np.PIN); err != nil {
			return nil, err
		}
		var err error
		if hash, err = HashSecret(np.PIN, s.cfg.PINCost); err != nil {
			return nil, err
		}
	}
	if np.HomeBranch == "" {
		np.HomeBranch = s.cfg.Branch
	}
	if np.Language != "" && !slices.Contains(domain.Languages, np.Language) {
		return nil, domain.Invalid("Unknown language %q.", np.Language)
	}
	if np.SelfRegistered {
		np.Category, np.Cardnumber, np.ExpiryDate = domain.CategorySelfRegistered, "", ""
	}
	var id string
	err := s.update(ctx, func(t *txn) error {
		if err := requireLibrary(ctx, t, np.HomeBranch); err != nil {
			return err
		}
		cat, err := getCategory(ctx, t, np.Category)
		if err != nil {
			return err
		}
		if np.SelfRegistered {
			if err := checkSelfDuplicate(ctx, t, np); err != nil {
				return err
			}
		}
		if np.Cardnumber == "" {
			if np.Cardnumber, err = newCardnumber(s.cfg.Rand); err != nil {
				return err
			}
		}
		if _, err := patronByCard(ctx, t, np.Cardnumber); err == nil {
			return domain.Fail(domain.CodeDuplicateCard, "Card number %s is already in use.", np.Cardnumber)
		}
		if np.ExpiryDate == "" {
			np.ExpiryDate = addMonths(t.now, cat.EnrolmentMonths)
		}
		id = s.newID(t.now)
		fields := map[string]any{
			"cardnumber": np.Cardnumber, "firstname": np.Firstname, "surname": np.Surname, "email": np.Email,
			"phone": np.Phone, "address": np.Address, "date_of_birth": np.DateOfBirth, "home_branch": np.HomeBranch,
			"category": np.Category, "pin_hash": hash, "expiry_date": np.ExpiryDate, "blocked": false,
			"block_reason": "", "registered_at": t.today()}
		if np.Language != "" {
			fields["language"] = np.Language
		}
		_, err = t.emit(ctx, KindPatronSet, fieldsOp{Key: map[string]any{"patron_id": id}, Fields: fields})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Patron(ctx, id)
}

// UpdatePatron changes a patron's details.
func (s *Service) UpdatePatron(ctx context.Context, id string, u domain.PatronUpdate) (*domain.Patron, error) {
	fields := map[string]any{}
	set := func(name string, v *string, check func(string) error) error {
		if v == nil {
			return nil
		}
		if check != nil {
			if err := check(*v); err != nil {
				return err
			}
		}
		fields[name] = strings.TrimSpace(*v)
		return nil
	}
	text := func(what string) func(string) error {
		return func(v string) error { return domain.CheckText(what, v, 200) }
	}
	date := func(v string) error { _, err := domain.ParseDate(v); return err }
	nonEmpty := func(v string) error {
		if strings.TrimSpace(v) == "" {
			return domain.Invalid("A patron needs a surname.")
		}
		return domain.CheckText("Surname", v, 200)
	}
	for _, err := range []error{
		set("firstname", u.Firstname, text("First name")), set("surname", u.Surname, nonEmpty),
		set("email", u.Email, checkEmail), set("phone", u.Phone, text("Phone")), set("address", u.Address, text("Address")),
		set("date_of_birth", u.DateOfBirth, func(v string) error {
			if v == "" {
				return nil
			}
			return date(v)
		}),
		set("home_branch", u.HomeBranch, nil), set("category", u.Category, nil), set("expiry_date", u.ExpiryDate, date),
		set("language", u.Language, checkLanguage),
	} {
		if err != nil {
			return nil, err
		}
	}
	if u.PIN != nil {
		if err := checkPIN(*u.PIN); err != nil {
			return nil, err
		}
		h, err := HashSecret(*u.PIN, s.cfg.PINCost)
		if err != nil {
			return nil, err
		}
		fields["pin_hash"] = h
	}
	if len(fields) == 0 {
		return nil, domain.Invalid("Nothing to change.")
	}
	err := s.update(ctx, func(t *txn) error {
		if _, err := getPatron(ctx, t, id); err != nil {
			return err
		}
		if b, ok := fields["home_branch"].(string); ok {
			if err := requireLibrary(ctx, t, b); err != nil {
				return err
			}
		}
		if c, ok := fields["category"].(string); ok {
			if _, err := getCategory(ctx, t, c); err != nil {
				return err
			}
		}
		_, err := t.emit(ctx, KindPatronSet, fieldsOp{Key: map[string]any{"patron_id": id}, Fields: fields})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Patron(ctx, id)
}

// RenewCard extends a patron's card by the category's enrolment period, from
// today or from the current expiry if that is later.
func (s *Service) RenewCard(ctx context.Context, id string) (*domain.Patron, error) {
	err := s.update(ctx, func(t *txn) error {
		p, err := getPatron(ctx, t, id)
		if err != nil {
			return err
		}
		cat, err := getCategory(ctx, t, p.Category)
		if err != nil {
			return err
		}
		base := t.now
		if exp, err := time.Parse(domain.DateLayout, p.ExpiryDate); err == nil && exp.After(base) {
			base = exp
		}
		_, err = t.emit(ctx, KindPatronSet, fieldsOp{Key: map[string]any{"patron_id": id},
			Fields: map[string]any{"expiry_date": addMonths(base, cat.EnrolmentMonths)}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Patron(ctx, id)
}

// ExpireCard makes a patron's card expire today.
func (s *Service) ExpireCard(ctx context.Context, id string) (*domain.Patron, error) {
	err := s.update(ctx, func(t *txn) error {
		if _, err := getPatron(ctx, t, id); err != nil {
			return err
		}
		_, err := t.emit(ctx, KindPatronSet, fieldsOp{Key: map[string]any{"patron_id": id},
			Fields: map[string]any{"expiry_date": t.now.AddDate(0, 0, -1).Format(domain.DateLayout)}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Patron(ctx, id)
}

// BlockPatron blocks a patron from borrowing; a reason is required.
func (s *Service) BlockPatron(ctx context.Context, id, reason string) (*domain.Patron, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, domain.Invalid("Blocking a patron needs a reason.")
	}
	if err := domain.CheckText("Reason", reason, 500); err != nil {
		return nil, err
	}
	return s.setBlock(ctx, id, true, reason)
}

// UnblockPatron lifts a block.
func (s *Service) UnblockPatron(ctx context.Context, id string) (*domain.Patron, error) {
	return s.setBlock(ctx, id, false, "")
}

func (s *Service) setBlock(ctx context.Context, id string, blocked bool, reason string) (*domain.Patron, error) {
	err := s.update(ctx, func(t *txn) error {
		if _, err := getPatron(ctx, t, id); err != nil {
			return err
		}
		_, err := t.emit(ctx, KindPatronSet, fieldsOp{Key: map[string]any{"patron_id": id},
			Fields: map[string]any{"blocked": blocked, "block_reason": reason}, Reason: reason})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.lg.Info("patron block changed", "patron", id, "blocked", blocked, "by", domain.ActorFrom(ctx).ID)
	return s.Patron(ctx, id)
}

// Patron returns one patron.
func (s *Service) Patron(ctx context.Context, id string) (*domain.Patron, error) {
	return getPatron(ctx, s.hot(), id)
}

// PatronByCard returns the patron holding a card number.
func (s *Service) PatronByCard(ctx context.Context, card string) (*domain.Patron, error) {
	if err := checkCode("card number", card); err != nil {
		return nil, err
	}
	return patronByCard(ctx, s.hot(), card)
}

// SearchPatrons finds patrons by card number, name or email.
func (s *Service) SearchPatrons(ctx context.Context, term string, limit int) ([]*domain.Patron, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	return searchPatrons(ctx, s.db.Read(), term, limit)
}

// CheckPIN verifies a patron's PIN on the actor's channel. Every failure
// is recorded as an op, so failures at a kiosk, on the web and at other
// branches add up to one lockout.
func (s *Service) CheckPIN(ctx context.Context, card, pin string) (*domain.Patron, error) {
	if err := checkCode("card number", card); err != nil {
		return nil, err
	}
	var result *domain.Patron
	var refusal error
	err := s.update(ctx, func(t *txn) error {
		p, err := patronByCard(ctx, t, card)
		if err != nil {
			// Spend the time a real check would take.
			bcrypt.CompareHashAndPassword(dummyHash(), []byte(pin))
			refusal = domain.Fail(domain.CodeBadCredentials, "The card number or PIN is wrong.")
			return nil
		}
		failures, last, err := recentPINFailures(ctx, t, p.PatronID)
		if err != nil {
			return err
		}
		if failures >= domain.MaxPINFailures && t.now.Before(last.Add(domain.PINLockout)) {
			refusal = domain.Fail(domain.CodePINLocked, "Too many wrong PINs: this card is locked until %s. Staff at the desk can help.",
				last.Add(domain.PINLockout).In(t.now.Location()).Format("15:04"))
			return nil
		}
		var hash string
		if err := t.QueryRowContext(ctx, `SELECT pin_hash FROM patrons WHERE patron_id=?`, p.PatronID).Scan(&hash); err != nil {
			return err
		}
		ok := hash != "" && bcrypt.CompareHashAndPassword([]byte(hash), []byte(pin)) == nil
		if ok && failures == 0 {
			result = p
			return nil // nothing to record
		}
		if _, err := t.emit(ctx, KindPINAttempt, pinAttemptOp{PatronID: p.PatronID, OK: ok, At: t.stamp()}); err != nil {
			return err
		}
		if !ok {
			left := domain.MaxPINFailures - failures - 1
			if left <= 0 {
				refusal = domain.Fail(domain.CodePINLocked, "Too many wrong PINs: this card is locked for %d minutes. Staff at the desk can help.", int(domain.PINLockout.Minutes()))
			} else {
				refusal = domain.Fail(domain.CodeBadCredentials, "The card number or PIN is wrong.")
			}
			return nil
		}
		result = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	return result, nil
}

// recentPINFailures counts the failed PIN checks since the last success and
// returns the time of the latest.
func recentPINFailures(ctx context.Context, q querier, patronID string) (int, time.Time, error) {
	rows, err := q.QueryContext(ctx, `SELECT ok, at FROM pin_attempts WHERE patron_id=? ORDER BY at DESC, attempt_id DESC LIMIT ?`,
		patronID, domain.MaxPINFailures+1)
	if err != nil {
		return 0, time.Time{}, err
	}
	defer rows.Close()
	n := 0
	var last time.Time
	for rows.Next() {
		var ok bool
		var at string
		if err := rows.Scan(&ok, &at); err != nil {
			return 0, time.Time{}, err
		}
		if ok {
			break
		}
		if n == 0 {
			last, _ = time.Parse(domain.TimeLayout, at)
		}
		n++
	}
	return n, last, rows.Err()
}

// ResetPINLockout lets staff clear a PIN lockout (e.g. after checking ID at the desk).
func (s *Service) ResetPINLockout(ctx context.Context, patronID string) error {
	return s.update(ctx, func(t *txn) error {
		if _, err := getPatron(ctx, t, patronID); err != nil {
			return err
		}
		_, err := t.emit(ctx, KindPINAttempt, pinAttemptOp{PatronID: patronID, OK: true, At: t.stamp()})
		return err
	})
}

// Status summarises a patron's standing.
func (s *Service) Status(ctx context.Context, id string) (*domain.PatronStatus, error) {
	q := s.db.Read()
	p, err := getPatron(ctx, q, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	st := &domain.PatronStatus{Patron: p, Blocks: []string{}}
	loans, err := patronLoans(ctx, q, id, false)
	if err != nil {
		return nil, err
	}
	today := now.Format(domain.DateLayout)
	for _, l := range loans {
		st.Loans++
		if l.DueDate < today {
			st.Overdue++
		}
	}
	holds, err := queryHolds(ctx, q, "h.patron_id=? AND h.status_rank<3", id)
	if err != nil {
		return nil, err
	}
	for _, h := range holds {
		if h.Status == domain.HoldReady {
			st.HoldsReady++
		} else {
			st.HoldsWaiting++
		}
	}
	if st.BalanceCents, err = balance(ctx, q, id); err != nil {
		return nil, err
	}
	if cat, err := getCategory(ctx, q, p.Category); err == nil {
		st.MaxFineCents = cat.MaxFineCents
	}
	st.Expired = p.ExpiryDate != "" && p.ExpiryDate < today
	for _, e := range patronRefusals(p, st.BalanceCents, st.MaxFineCents, today) {
		st.Blocks = append(st.Blocks, e.Message)
	}
	st.CanBorrow = len(st.Blocks) == 0
	return st, nil
}

// patronRefusals are the reasons a patron may not borrow at all.
func patronRefusals(p *domain.Patron, bal, maxFine int64, today string) []*domain.Error {
	var out []*domain.Error
	if p.Blocked {
		msg := "This card is blocked."
		if p.BlockReason != "" {
			msg = fmt.Sprintf("This card is blocked: %s.", strings.TrimSuffix(p.BlockReason, "."))
		}
		out = append(out, domain.Refuse(domain.CodePatronBlocked, "%s", msg))
	}
	if p.ExpiryDate != "" && p.ExpiryDate < today {
		out = append(out, domain.Refuse(domain.CodeCardExpired, "This card expired on %s; please renew it at the desk.", p.ExpiryDate))
	}
	if maxFine > 0 && bal > maxFine {
		out = append(out, domain.Refuse(domain.CodeFinesOverLimit, "Fines of %s are over the limit of %s.", domain.Money(bal), domain.Money(maxFine)))
	}
	return out
}
