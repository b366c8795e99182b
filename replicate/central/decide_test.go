package central

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// slotCapacity is how many slots slotDecider hands out.
const slotCapacity = 3

// slotDecider is a bounded counter: it grants the slot named by the
// payload while fewer than slotCapacity are taken (a repeated request for
// a slot already granted is granted again, emitting nothing).
func slotDecider(ctx context.Context, d *Decision) ([]byte, error) {
	key := "slot/" + string(d.Payload)
	var taken, mine int
	if err := d.Tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(k=?), 0) FROM kv WHERE k LIKE 'slot/%'`, key).Scan(&taken, &mine); err != nil {
		return nil, err
	}
	switch {
	case mine > 0:
		return []byte("granted"), nil
	case taken >= slotCapacity:
		return []byte("full"), nil
	}
	if _, err := d.Emit(ctx, "kv", map[string]string{"K": key, "V": d.Time().UTC().Format("15:04:05.000")}, "test", "api"); err != nil {
		return nil, err
	}
	return []byte("granted"), nil
}

// TestDecideIsLinearizable: twenty requests race for three slots through
// all three nodes (followers forward to the leader); exactly three are
// granted, every node holds the same three, and the grant's ops come back
// with the answer.
func TestDecideIsLinearizable(t *testing.T) {
	ms := startCluster(t)
	var mu sync.Mutex
	granted := 0
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, ops, err := ms[i%3].node.Decide(context.Background(), "slots", []byte(fmt.Sprint(i)))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch string(res) {
			case "granted":
				granted++
				if len(ops) != 1 || ops[0].Kind != "kv" || ops[0].Origin != centralOrigin {
					t.Errorf("a grant came back with ops %+v", ops)
				}
			case "full":
				if len(ops) != 0 {
					t.Errorf("a refusal emitted %d ops", len(ops))
				}
			default:
				t.Errorf("answer %q", res)
			}
		}()
	}
	wg.Wait()
	if granted != slotCapacity {
		t.Fatalf("%d slots granted of %d", granted, slotCapacity)
	}
	for _, m := range ms {
		eventually(t, m.id+" to hold the slots", func() bool {
			var n int
			m.db.Read().QueryRow(`SELECT count(*) FROM kv WHERE k LIKE 'slot/%'`).Scan(&n)
			return n == slotCapacity
		})
	}
	if ms[0].hash(t) != ms[1].hash(t) || ms[1].hash(t) != ms[2].hash(t) {
		t.Fatal("the nodes decided differently")
	}
	// An unknown decider is refused before it enters the log.
	if _, _, err := ms[1].node.Decide(context.Background(), "nope", []byte("x")); err == nil {
		t.Fatal("a request for an unknown decider was decided")
	}
}
