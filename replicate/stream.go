package replicate

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Validator refuses ops this node cannot apply (e.g. a kind from a newer
// version). A frame with one refused op is refused whole.
type Validator func(Op) error

// IntegrateStream reads frames from r and integrates each whole frame that
// validates. It stops at the first bad frame: that frame is not applied,
// the ones before it are. It returns how many new ops were applied.
//
// Reading and decoding the next frame (its payloads too, for a
// BatchApplier) overlaps with applying the one before (at most one frame is
// applied at a time, in stream order), and IntegrateStream returns only
// once nothing it started is still running.
func IntegrateStream(ctx context.Context, log *Log, validate Validator, r io.Reader) (int, error) {
	type result struct {
		n   int
		err error
	}
	fr := NewFrameReader(r)
	direct := log.cfg.Proposer == nil || isDirect(ctx) // else Integrate proposes
	applied := 0
	var pending chan result
	// wait collects the frame being applied, if any.
	wait := func() error {
		if pending == nil {
			return nil
		}
		res := <-pending
		pending = nil
		applied += res.n
		if res.err != nil {
			// Not the frame's fault necessarily (a full disk, a crash):
			// nothing of it is applied and the next sync retries.
			return fmt.Errorf("replicate: integrate frame: %w", res.err)
		}
		return nil
	}
	for {
		ops, err := fr.Next()
		if err == nil {
			for _, op := range ops {
				if verr := validate(op); verr != nil {
					err = fmt.Errorf("%w: op %s: %v", ErrBadFrame, op.ID(), verr)
					break
				}
			}
		}
		var prepared preparedOps
		if err == nil && direct {
			prepared = log.prepareIntegrate(ops)
		}
		if werr := wait(); werr != nil {
			return applied, werr
		}
		if errors.Is(err, io.EOF) {
			return applied, nil
		}
		if err != nil {
			return applied, err
		}
		pending = make(chan result, 1)
		go func(done chan<- result) {
			var res result
			if direct {
				res.n, res.err = log.integratePrepared(ctx, prepared)
			} else {
				res.n, res.err = log.Integrate(ctx, ops)
			}
			done <- res
		}(pending)
	}
}
