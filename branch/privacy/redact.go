package privacy

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"stacks/replicate"
)

// Redaction rewrites the payloads (and actors) of stored ops in place: an
// op keeps its origin, counter, HLC and kind, so version vectors, sync and
// the order of last-writer-wins merges are untouched, and a replica that
// pulls it later gets the redacted payload. Payloads are JSON objects; a
// redacted one is re-encoded by encoding/json (keys sorted), the same
// bytes on every replica, and an already redacted payload is left as it is.

// storedOp is an op as stored, for redaction.
type storedOp struct {
	origin, counter int64
	kind            string
	payload         []byte
	actor           string
}

// opsWhere reads the stored ops f selects but privacy's own.
func opsWhere(ctx context.Context, tx *replicate.Tx, f replicate.OpFilter) ([]storedOp, error) {
	f.NotKinds = []string{KindErase, KindAnonymise, KindRetention}
	var out []storedOp
	err := tx.ScanOps(ctx, f, func(op replicate.Op) error {
		out = append(out, storedOp{origin: int64(op.Origin), counter: int64(op.Counter), kind: op.Kind, payload: op.Payload, actor: op.Actor})
		return nil
	})
	return out, err
}

// naming selects the ops whose payload contains one of in or whose actor
// is one of actors or contains one of inActor.
func naming(in []string, actors []string, inActor []string) replicate.OpFilter {
	return replicate.OpFilter{Contains: append(append(append([]string(nil), in...), actors...), inActor...), Match: func(op replicate.Op) bool {
		for _, s := range in {
			if bytes.Contains(op.Payload, []byte(s)) {
				return true
			}
		}
		for _, a := range actors {
			if op.Actor == a {
				return true
			}
		}
		for _, s := range inActor {
			if strings.Contains(op.Actor, s) {
				return true
			}
		}
		return false
	}}
}

// rewrite stores an op's redacted payload and actor, and reports whether
// they changed.
func rewrite(ctx context.Context, tx *replicate.Tx, o storedOp, payload []byte, actor string) (bool, error) {
	if bytes.Equal(payload, o.payload) && actor == o.actor {
		return false, nil
	}
	_, err := tx.RewriteOp(ctx, replicate.NodeID(o.origin), uint64(o.counter), payload, actor)
	return err == nil, err
}

// strongValues are the patron's values that identify them wherever they
// are quoted (card number, email, phone): ops that do not name the patron
// but quote one (a provider's bounce message) are redacted too. Names and
// addresses are only redacted in ops that name the patron, where they
// cannot be another person's.
func strongValues(vals []string) []string {
	var out []string
	for _, v := range vals {
		digits := 0
		other := strings.IndexFunc(v, func(r rune) bool {
			if r >= '0' && r <= '9' {
				digits++
				return false
			}
			return !strings.ContainsRune(" +-()", r)
		})
		if strings.Contains(v, "@") || (other < 0 && digits >= 5) {
			out = append(out, v)
		}
	}
	return out
}

// redactPatron redacts the ops of an erased patron: in every op naming the
// patron, the personal keys' values are blanked and the patron's values
// cut from every string; in every op quoting their card number, email or
// phone, those are cut; an op the patron made under their card number is
// attributed to their patron ID.
func (c *capability) redactPatron(ctx context.Context, tx *replicate.Tx, patronID string, vals []string) error {
	strong := strongValues(vals)
	ops, err := opsWhere(ctx, tx, naming(append([]string{patronID}, strong...), []string{"patron:" + patronID}, strong))
	if err != nil {
		return err
	}
	for _, o := range ops {
		names := bytes.Contains(o.payload, []byte(patronID)) || o.actor == "patron:"+patronID
		cut := strong
		if names {
			cut = vals
		}
		payload := editJSON(o.payload, func(m map[string]any) {
			for k, v := range m {
				if a, ok := v.([]any); ok && names && c.keys[k] {
					// A list of personal values (an event's guest names):
					// each is blanked, the list keeps its length.
					for i, e := range a {
						if _, ok := e.(string); ok {
							a[i] = ""
						}
					}
					continue
				}
				s, ok := v.(string)
				if !ok {
					continue
				}
				if names && c.keys[k] && s != "" {
					m[k] = ""
					continue
				}
				m[k] = cutAll(s, cut)
			}
		}, cut)
		actor := o.actor
		if names && strings.HasPrefix(actor, "patron:") {
			actor = "patron:" + patronID
		} else {
			for _, v := range cut {
				if actor == "patron:"+v {
					actor = "patron:" + patronID
				}
			}
			actor = cutAll(actor, cut)
		}
		changed, err := rewrite(ctx, tx, o, payload, actor)
		if err != nil {
			return err
		}
		if changed {
			// The op's personal data may be in other copies of the log
			// (central's Raft log): the node purges them (replicate/central).
			tx.MarkRedacted()
		}
	}
	return nil
}

// redactAnonymised cuts an anonymised row's link to its patron out of the
// ops that name the row.
func (c *capability) redactAnonymised(ctx context.Context, tx *replicate.Tx, kind, id string) error {
	if kind == "audit" || kind == "override" {
		origin, counter, ok := parseOpID(id)
		if !ok {
			return nil
		}
		return c.redactAnonymisedIn(ctx, tx, kind, id, replicate.OpFilter{Origin: replicate.NodeID(origin), After: uint64(counter) - 1, UpTo: uint64(counter)})
	}
	return c.redactAnonymisedIn(ctx, tx, kind, id, naming([]string{id}, nil, nil))
}

// redactAnonymisedLate cuts a row anonymised earlier out of the ops of
// the batch being applied that name it (at: where they are). Only those
// can name it still: every op stored before the anonymisation was
// redacted when it was applied (redactAnonymisedAll's pass over the log),
// and every op stored since went through observe in its own batch. So a
// late op costs a look at its batch, not a pass over the whole log (which
// made a catch-up of a branch's days of returns and sweeps quadratic in
// the log's length).
func (c *capability) redactAnonymisedLate(ctx context.Context, tx *replicate.Tx, kind, id string, at []replicate.OpPos) error {
	if kind == "audit" || kind == "override" {
		return c.redactAnonymised(ctx, tx, kind, id) // found by its op ID
	}
	if len(at) == 0 {
		return nil
	}
	return c.redactAnonymisedIn(ctx, tx, kind, id, replicate.OpFilter{At: at})
}

// redactAnonymisedIn cuts an anonymised row's link to its patron out of
// the stored ops f selects.
func (c *capability) redactAnonymisedIn(ctx context.Context, tx *replicate.Tx, kind, id string, f replicate.OpFilter) error {
	ops, err := opsWhere(ctx, tx, f)
	if err != nil {
		return err
	}
	for _, o := range ops {
		edit := anonymiseEdit(kind, id, o.kind)
		if edit == nil {
			continue
		}
		// Not marked redacted: an anonymisation happens at every sweep,
		// and a purge of central's Raft log copies the database.
		if _, err := rewrite(ctx, tx, o, editJSON(o.payload, edit, nil), o.actor); err != nil {
			return err
		}
	}
	return nil
}

// anonymiseEdit is the edit that cuts an anonymised row (kind, id) out of
// an op of opKind that names it, or nil if there is none to make.
func anonymiseEdit(kind, id, opKind string) func(m map[string]any) {
	var edit func(m map[string]any)
	switch {
	case kind == "loan" && opKind == "fee.lines":
		edit = func(m map[string]any) {
			if m["loan_id"] == id {
				m["loan_id"], m["item_id"] = "", ""
			}
		}
	case kind == "loan":
		edit = blankPatronWhere("loan_id", id)
	case kind == "hold":
		edit = blankPatronWhere("hold_id", id)
	case kind == "notice":
		edit = blankPatronWhere("key", id)
	case kind == "audit" && opKind == "audit.record":
		edit = func(m map[string]any) {
			if _, ok := m["item_id"]; ok {
				m["item_id"] = ""
			}
			if a, ok := m["action"].(string); ok {
				m["resource"] = a
			}
		}
	}
	return edit
}

// blankPatronWhere blanks patron_id in the objects whose key is id.
func blankPatronWhere(key, id string) func(m map[string]any) {
	return func(m map[string]any) {
		if m[key] == id {
			if p, ok := m["patron_id"].(string); ok && p != "" {
				m["patron_id"] = ""
			}
		}
	}
}

func parseOpID(id string) (int64, int64, bool) {
	i := strings.IndexByte(id, ':')
	if i < 0 {
		return 0, 0, false
	}
	o, err := replicate.ParseNodeID(id[:i])
	if err != nil {
		return 0, 0, false
	}
	var n int64
	for _, r := range id[i+1:] {
		if r < '0' || r > '9' {
			return 0, 0, false
		}
		n = n*10 + int64(r-'0')
	}
	return int64(o), n, true
}

// editJSON applies edit to every object in the JSON payload and returns
// the re-encoded payload, or payload itself if nothing changed. A payload
// that is not JSON has cut's values cut from its bytes.
func editJSON(payload []byte, edit func(m map[string]any), cut []string) []byte {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		out := payload
		for _, s := range cut {
			out = bytes.ReplaceAll(out, []byte(s), nil)
		}
		return out
	}
	before, err := json.Marshal(v)
	if err != nil {
		return payload
	}
	walk(v, edit, cut)
	after, err := json.Marshal(v)
	if err != nil || bytes.Equal(before, after) {
		return payload
	}
	return after
}

func walk(v any, edit func(m map[string]any), cut []string) {
	switch x := v.(type) {
	case map[string]any:
		edit(x)
		for _, e := range x {
			walk(e, edit, cut)
		}
	case []any:
		for i, e := range x {
			if s, ok := e.(string); ok {
				x[i] = cutAll(s, cut)
				continue
			}
			walk(e, edit, cut)
		}
	}
}

func cutAll(s string, vals []string) string {
	for _, v := range vals {
		if v != "" && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "")
		}
	}
	return s
}

// redactAnonymisedAll cuts the rows of an anonymisation out of the ops that
// name them, as redactAnonymised does for each row in turn, in one pass over
// the log: a sweep anonymises a day's loans at once, and a pass a row over
// a log of years (a branch that does not compact) held the writer for
// minutes. The pass reads only ops written since the oldest of the rows was
// made, less a week: a row's ID carries the time it was made (newID, UUID
// version 7), and an op that names a row comes causally after the row's
// own op, so its HLC is later. A row whose ID carries no time makes the
// pass read the whole log.
func (c *capability) redactAnonymisedAll(ctx context.Context, tx *replicate.Tx, p anonymiseOp) error {
	for _, set := range []struct {
		kind string
		ids  []string
	}{{"audit", p.Audit}, {"override", p.Overrides}} {
		for _, id := range set.ids {
			if err := c.redactAnonymised(ctx, tx, set.kind, id); err != nil {
				return err
			}
		}
	}
	type row struct {
		kind, id string
		order    int
	}
	sets := []struct {
		kind string
		ids  []string
	}{{"loan", p.Loans}, {"hold", p.Holds}, {"notice", p.Notices}}
	rows := map[string]row{}
	oldest, timed := int64(math.MaxInt64), true
	for _, set := range sets {
		for _, id := range set.ids {
			if _, dup := rows[id]; dup || id == "" {
				continue
			}
			rows[id] = row{set.kind, id, len(rows)}
			if ms, ok := uuidMillis(id); ok {
				oldest = min(oldest, ms)
			} else {
				timed = false
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if !timed && len(rows) <= 4 {
		// IDs that carry no time (the pass would read the whole log) and
		// few of them: one pass each, prefiltered in SQL, is cheaper.
		for _, set := range sets {
			for _, id := range set.ids {
				if err := c.redactAnonymised(ctx, tx, set.kind, id); err != nil {
					return err
				}
			}
		}
		return nil
	}
	// named lists the rows an op's payload names, in the order the
	// anonymisation lists them. An edit changes an op only where the row's
	// own key holds its ID (anonymiseEdit), so only those values are
	// looked up, not every substring of the payload.
	named := func(payload []byte) []row {
		var out []row
		for _, key := range rowKeys {
			eachValue(payload, key, func(v []byte) {
				if r, ok := rows[string(v)]; ok && !slices.Contains(out, r) {
					out = append(out, r)
				}
			})
		}
		slices.SortFunc(out, func(a, b row) int { return a.order - b.order })
		return out
	}
	f := replicate.OpFilter{Match: func(op replicate.Op) bool { return len(named(op.Payload)) > 0 }}
	if timed {
		const margin = 7 * 24 * time.Hour
		f.ByHLC, f.AfterPos = true, replicate.OpPos{HLC: replicate.MakeTimestamp(oldest-margin.Milliseconds(), 0)}
	}
	ops, err := opsWhere(ctx, tx, f)
	if err != nil {
		return err
	}
	for _, o := range ops {
		payload := o.payload
		for _, r := range named(o.payload) {
			if edit := anonymiseEdit(r.kind, r.id, o.kind); edit != nil {
				payload = editJSON(payload, edit, nil)
			}
		}
		if _, err := rewrite(ctx, tx, o, payload, o.actor); err != nil {
			return err
		}
	}
	return nil
}

// rowKeys are the JSON keys, with their colon and opening quote, under
// which an op names a row an anonymisation cuts: a loan, a hold, a notice.
var rowKeys = [...]string{`"loan_id":"`, `"hold_id":"`, `"key":"`}

// eachValue calls fn with each string value that follows prefix (a JSON
// key with its colon and opening quote) in payload.
func eachValue(payload []byte, prefix string, fn func([]byte)) {
	b := payload
	for {
		i := bytes.Index(b, []byte(prefix))
		if i < 0 {
			return
		}
		b = b[i+len(prefix):]
		j := bytes.IndexByte(b, '"')
		if j < 0 {
			return
		}
		if j > 0 {
			fn(b[:j])
		}
		b = b[j:]
	}
}

// uuidMillis is the time (Unix milliseconds) a version 7 UUID carries.
func uuidMillis(id string) (int64, bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[14] != '7' {
		return 0, false
	}
	ms, err := strconv.ParseUint(id[0:8]+id[9:13], 16, 64)
	if err != nil {
		return 0, false
	}
	return int64(ms), true
}
