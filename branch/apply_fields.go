package branch

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"stacks/branch/domain"
	"stacks/replicate"
)

// Batched last-writer-wins merges. A batch of one kind's field writes is
// folded in Go (every field of every row keeps the write with the greatest
// stamp), merged with the clocks stored in the touched rows (read in one
// query), and written with one multi-row upsert per set of winning fields.
// The result, clocks included byte for byte, is what merging each op in
// turn gives (the op-by-op oracle of the tests, oracle_internal_test.go).

// lwwLayout numbers a table's fields by their ordinals (lwwTables), so
// that a row's values and clocks are slices and a set of fields is a bit
// mask, the mask its stored clocks use (clocks.go).
type lwwLayout struct {
	t     lwwTable
	names []string // by ordinal
	index map[string]int
}

// lwwLayouts are the layouts of the tables of lwwTables, by op kind.
var lwwLayouts = func() map[string]*lwwLayout {
	m := make(map[string]*lwwLayout, len(lwwTables))
	for kind, t := range lwwTables {
		l, err := layoutOf(t)
		if err != nil {
			// The tables are declared in this package: a build defect.
			panic(err)
		}
		m[kind] = l
	}
	return m
}()

func layoutOf(t lwwTable) (*lwwLayout, error) {
	l := &lwwLayout{t: t, names: t.fields, index: make(map[string]int, len(t.fields))}
	if len(l.names) > 64 {
		return nil, fmt.Errorf("branch: %s has more than 64 fields", t.name)
	}
	for i, f := range l.names {
		if _, dup := l.index[f]; dup || f == "" {
			return nil, fmt.Errorf("branch: %s field %q twice or empty", t.name, f)
		}
		l.index[f] = i
	}
	return l, nil
}

// fieldWrite is one op's writes: its key and field values as SQLite should
// store them.
type fieldWrite struct {
	keyVals []any
	fields  []int
	vals    []any
}

type kv struct {
	k string
	v any
}

// decodeWrite decodes a fieldsOp payload and checks it against the table,
// as the op-by-op merge does.
func (l *lwwLayout) decodeWrite(b []byte, w *fieldWrite) error {
	keys, fields, err := fastFieldPairs(b)
	if err != nil {
		var p fieldsOp
		if err := decode(b, &p); err != nil {
			return err
		}
		keys, fields = keys[:0], fields[:0]
		for k, v := range p.Key {
			keys = append(keys, kv{k, v})
		}
		for k, v := range p.Fields {
			fields = append(fields, kv{k, v})
		}
	}
	w.keyVals = make([]any, len(l.t.keys))
	for i, k := range l.t.keys {
		found := false
		for _, p := range keys {
			if p.k == k {
				sv, err := sqlValue(p.v)
				if err != nil {
					return err
				}
				w.keyVals[i], found = sv, true
			}
		}
		if !found {
			return fmt.Errorf("branch: %s op lacks key %s", l.t.name, k)
		}
	}
	w.fields, w.vals = make([]int, 0, len(fields)), make([]any, 0, len(fields))
	for _, p := range fields {
		i, ok := l.index[p.k]
		if !ok {
			return fmt.Errorf("branch: %s has no field %q", l.t.name, p.k)
		}
		sv, err := sqlValue(p.v)
		if err != nil {
			return err
		}
		w.fields, w.vals = append(w.fields, i), append(w.vals, sv)
	}
	return nil
}

// fastFieldPairs reads the common shape of a fieldsOp payload into its key
// and field pairs (a later duplicate name replaces an earlier one, as in a
// map); errSlow if the payload needs the full decoder.
func fastFieldPairs(b []byte) (keys, fields []kv, err error) {
	s := &scan{b: b}
	if !s.eat('{') {
		return nil, nil, errSlow
	}
	if s.eat('}') {
		return nil, nil, nil
	}
	var seenKey, seenFields, seenReason bool
	for {
		k, err := s.str()
		if err != nil {
			return nil, nil, err
		}
		if !s.eat(':') {
			return nil, nil, errSlow
		}
		switch {
		case k == "key" && !seenKey:
			seenKey = true
			if keys, err = s.pairs(); err != nil {
				return nil, nil, err
			}
		case k == "fields" && !seenFields:
			seenFields = true
			if fields, err = s.pairs(); err != nil {
				return nil, nil, err
			}
		case k == "reason" && !seenReason:
			seenReason = true
			if _, err = s.str(); err != nil {
				return nil, nil, err
			}
		default:
			return nil, nil, errSlow
		}
		if s.eat(',') {
			continue
		}
		if s.eat('}') {
			return keys, fields, nil
		}
		return nil, nil, errSlow
	}
}

// pairs reads an object of scalars.
func (s *scan) pairs() ([]kv, error) {
	if !s.eat('{') {
		return nil, errSlow
	}
	out := make([]kv, 0, 12)
	if s.eat('}') {
		return out, nil
	}
	for {
		k, err := s.str()
		if err != nil {
			return nil, err
		}
		if !s.eat(':') {
			return nil, errSlow
		}
		v, err := s.value()
		if err != nil {
			return nil, err
		}
		dup := false
		for i := range out {
			if out[i].k == k {
				out[i].v, dup = v, true
			}
		}
		if !dup {
			out = append(out, kv{k, v})
		}
		if s.eat(',') {
			continue
		}
		if s.eat('}') {
			return out, nil
		}
		return nil, errSlow
	}
}

// lwwRow is one row's share of a batch of field writes.
type lwwRow struct {
	keyVals []any
	vals    []any    // per field: the value of the batch's winning write
	stamps  []string // per field: its stamp; "" if the batch did not write it
	stored  bool     // the row existed before the batch
	clocks  []string // per field: the clock stored with the row
	extra   map[string]string
	oldCard string // patrons: the card number before the batch
	// oldBiblio: items, the title the copy belonged to before the batch
	oldBiblio string
}

// rowKey identifies a row by its key values as SQLite compares them with
// the key columns' text or integer affinity.
func rowKey(vals []any) string {
	if len(vals) == 1 {
		if s, ok := vals[0].(string); ok {
			return s
		}
	}
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(0)
		}
		switch x := v.(type) {
		case string:
			b.WriteString(x)
		case int64:
			b.WriteString(strconv.FormatInt(x, 10))
		default:
			fmt.Fprint(&b, x)
		}
	}
	return b.String()
}

// applyFieldsBatch merges a batch of one kind's field writes.
func (a Applier) applyFieldsBatch(ctx context.Context, tx *replicate.Tx, kind string, ops []replicate.Op, dec []any) error {
	lay := lwwLayouts[kind]
	t := lay.t
	n := len(lay.names)
	rows := make(map[string]*lwwRow, len(ops))
	order := make([]string, 0, len(ops))
	for i, op := range ops {
		w, err := decoded[fieldWrite](op, dec[i])
		if err != nil {
			return err
		}
		rk := rowKey(w.keyVals)
		r := rows[rk]
		if r == nil {
			r = &lwwRow{keyVals: w.keyVals, vals: make([]any, n), stamps: make([]string, n)}
			rows[rk] = r
			order = append(order, rk)
		}
		st := string(op.Stamp())
		for j, i := range w.fields {
			if a.newer(r.stamps[i], st) {
				r.vals[i], r.stamps[i] = w.vals[j], st
			}
		}
	}
	if err := readClocks(ctx, tx, lay, rows, order); err != nil {
		return err
	}

	// Group the rows by the fields they change: one upsert per group.
	type group struct {
		mask uint64
		args []any
	}
	groups := map[uint64]*group{}
	var gorder []uint64
	for _, rk := range order {
		r := rows[rk]
		var mask uint64
		for i, st := range r.stamps {
			if st != "" && (!r.stored || a.newer(r.clocks[i], st)) {
				mask |= 1 << i
			}
		}
		if mask == 0 {
			continue
		}
		clocks := r.clocks
		if clocks == nil {
			clocks = make([]string, n)
		}
		for i := range clocks {
			if mask&(1<<i) != 0 {
				clocks[i] = r.stamps[i]
			}
		}
		g := groups[mask]
		if g == nil {
			g = &group{mask: mask}
			groups[mask] = g
			gorder = append(gorder, mask)
		}
		g.args = append(g.args, r.keyVals...)
		for i := range n {
			if mask&(1<<i) != 0 {
				g.args = append(g.args, r.vals[i])
			}
		}
		enc, err := lay.encodeClocks(clocks, r.extra)
		if err != nil {
			return err
		}
		g.args = append(g.args, enc)
		switch t.name {
		case "biblios":
			id, _ := r.keyVals[0].(string)
			touch(tx, touchedBibsMemo, id)
		case "items":
			id, _ := r.keyVals[0].(string)
			touch(tx, touchedItemsMemo, id)
			if r.stored && mask&lay.bit("biblio_id") != 0 && r.oldBiblio != "" {
				// The copy moved to another title: the one it left
				// changed too (its copies, owning branches, availability).
				touch(tx, touchedBibsMemo, r.oldBiblio)
			}
		}
		if t.name == "items" {
			// An item's status depends on base_status and transit_to
			// (and loans and holds): re-derive it for a new row or when
			// either changed.
			if !r.stored || mask&(lay.bit("base_status")|lay.bit("transit_to")) != 0 {
				id, _ := r.keyVals[0].(string)
				deferRefreshItem(ctx, tx, id)
			}
		}
	}
	keys := strings.Join(t.keys, ",")
	for _, mask := range gorder {
		g := groups[mask]
		var cols, sets []string
		for i, f := range lay.names {
			if mask&(1<<i) != 0 {
				cols = append(cols, f)
				sets = append(sets, f+"=excluded."+f)
			}
		}
		sets = append(sets, "clocks=excluded.clocks")
		head := "INSERT INTO " + t.name + " (" + keys + "," + strings.Join(cols, ",") + ",clocks)"
		tail := "ON CONFLICT(" + keys + ") DO UPDATE SET " + strings.Join(sets, ",")
		if err := tx.ExecValues(ctx, head, len(t.keys)+len(cols)+1, tail, g.args); err != nil {
			return fmt.Errorf("branch: write %s: %w", t.name, err)
		}
	}

	switch kind {
	case KindPatronSet:
		cards, err := patronCards(ctx, tx, order)
		if err != nil {
			return err
		}
		for _, rk := range order {
			for _, c := range []string{rows[rk].oldCard, cards[rk]} {
				deferConflict(ctx, tx, domain.ConflictDuplicateCard, c)
			}
			deferConflict(ctx, tx, domain.ConflictLoanLimit, rk)
		}
	case KindRuleSet:
		delete(txMemo(tx), rulesMemo)
		tx.Defer("limits", func() error { return recomputeAllLimits(ctx, tx) })
	}
	return nil
}

func (l *lwwLayout) bit(name string) uint64 {
	if i, ok := l.index[name]; ok {
		return 1 << i
	}
	return 0
}

// readClocks reads the clocks (and, for patrons, the card number) of the
// rows that exist already, in one query.
func readClocks(ctx context.Context, tx *replicate.Tx, lay *lwwLayout, rows map[string]*lwwRow, order []string) error {
	t := lay.t
	list := make([]any, 0, len(order))
	for _, rk := range order {
		if len(t.keys) == 1 {
			list = append(list, rows[rk].keyVals[0])
		} else {
			list = append(list, rows[rk].keyVals)
		}
	}
	cols := make([]string, len(t.keys))
	on := make([]string, len(t.keys))
	for i, k := range t.keys {
		cols[i] = "t." + k
		if len(t.keys) == 1 {
			on[i] = "t." + k + "=j.value"
		} else {
			on[i] = "t." + k + "=j.value->>" + strconv.Itoa(i)
		}
	}
	extra := ""
	switch t.name {
	case "patrons":
		extra = ", t.cardnumber"
	case "items":
		extra = ", t.biblio_id"
	}
	q := "SELECT " + strings.Join(cols, ",") + ", t.clocks" + extra + " FROM json_each(?) AS j CROSS JOIN " + t.name +
		" AS t ON " + strings.Join(on, " AND ")
	res, err := tx.QueryContext(ctx, q, replicate.JSONList(list))
	if err != nil {
		return fmt.Errorf("branch: read %s: %w", t.name, err)
	}
	defer res.Close()
	keyVals := make([]any, len(t.keys))
	dest := make([]any, 0, len(t.keys)+2)
	for i := range keyVals {
		dest = append(dest, &keyVals[i])
	}
	var clocks []byte
	var old string
	dest = append(dest, &clocks)
	if extra != "" {
		dest = append(dest, &old)
	}
	for res.Next() {
		if err := res.Scan(dest...); err != nil {
			return err
		}
		r := rows[rowKey(keyVals)]
		if r == nil {
			return fmt.Errorf("branch: %s row %v read back under another key", t.name, keyVals)
		}
		if r.stored {
			continue
		}
		r.stored = true
		switch t.name {
		case "patrons":
			r.oldCard = old
		case "items":
			r.oldBiblio = old
		}
		if err := lay.decodeClocks(clocks, r); err != nil {
			return err
		}
	}
	return res.Err()
}
