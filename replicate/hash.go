package replicate

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"sync"
)

// Querier is what reads need: a *sql.DB, *sql.Tx or *sql.Conn.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// hashForms are the registered forms of columns, by column name.
var hashForms sync.Map // column name -> func(table string, v any) (any, error)

// RegisterHashForm makes StateHash hash every column named column through
// form: the value form returns (given the table and the stored value) is
// hashed instead of the stored one. It lets a component change how it
// stores a column while replicas in the old and the new encoding of the
// same state keep one hash (a cluster upgraded node by node stays
// checkable). form must map every encoding of a value to one form, and
// leave a value it does not know as it is.
func RegisterHashForm(column string, form func(table string, v any) (any, error)) {
	hashForms.Store(column, form)
}

// StateHash is the canonical hash of the named tables: every row, ordered by
// all its columns, each value encoded with its type. Two replicas with the
// same state have the same hash whatever order they received their ops in.
func StateHash(ctx context.Context, q Querier, tables []string) (string, error) {
	h := sha256.New()
	var num [8]byte
	for _, t := range tables {
		if strings.ContainsAny(t, " ;'\"") {
			return "", fmt.Errorf("replicate: bad table name %q", t)
		}
		probe, err := q.QueryContext(ctx, "SELECT * FROM "+t+" LIMIT 0")
		if err != nil {
			return "", fmt.Errorf("replicate: hash %s: %w", t, err)
		}
		cols, err := probe.Columns()
		probe.Close()
		if err != nil {
			return "", err
		}
		forms := make([]func(string, any) (any, error), len(cols))
		for i, c := range cols {
			if f, ok := hashForms.Load(c); ok {
				forms[i] = f.(func(string, any) (any, error))
			}
		}
		order := make([]string, len(cols))
		for i := range cols {
			order[i] = fmt.Sprint(i + 1)
		}
		rows, err := q.QueryContext(ctx, "SELECT * FROM "+t+" ORDER BY "+strings.Join(order, ","))
		if err != nil {
			return "", fmt.Errorf("replicate: hash %s: %w", t, err)
		}
		h.Write([]byte("table\x00" + t + "\x00"))
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return "", err
			}
			for i, v := range vals {
				if forms[i] != nil {
					if v, err = forms[i](t, v); err != nil {
						rows.Close()
						return "", fmt.Errorf("replicate: hash %s.%s: %w", t, cols[i], err)
					}
				}
				switch x := v.(type) {
				case nil:
					h.Write([]byte{'n'})
				case int64:
					h.Write([]byte{'i'})
					binary.BigEndian.PutUint64(num[:], uint64(x))
					h.Write(num[:])
				case float64:
					h.Write([]byte{'f'})
					binary.BigEndian.PutUint64(num[:], math.Float64bits(x))
					h.Write(num[:])
				case []byte:
					h.Write([]byte{'b'})
					binary.BigEndian.PutUint64(num[:], uint64(len(x)))
					h.Write(num[:])
					h.Write(x)
				case string:
					h.Write([]byte{'s'})
					binary.BigEndian.PutUint64(num[:], uint64(len(x)))
					h.Write(num[:])
					h.Write([]byte(x))
				case bool:
					h.Write([]byte{'t'})
					if x {
						h.Write([]byte{1})
					} else {
						h.Write([]byte{0})
					}
				default:
					h.Write([]byte(fmt.Sprintf("?%T:%v", x, x)))
				}
			}
			h.Write([]byte{'\n'})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// AllOps reads the whole op log in (origin, counter) order.
func (l *Log) AllOps(ctx context.Context) ([]Op, error) {
	return l.db.readOps(ctx, OpFilter{})
}
