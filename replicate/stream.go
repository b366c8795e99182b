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
func IntegrateStream(ctx context.Context, log *Log, validate Validator, r io.Reader) (int, error) {
	fr := NewFrameReader(r)
	applied := 0
	for {
		ops, err := fr.Next()
		if errors.Is(err, io.EOF) {
			return applied, nil
		}
		if err != nil {
			return applied, err
		}
		for _, op := range ops {
			if err := validate(op); err != nil {
				return applied, fmt.Errorf("%w: op %s: %v", ErrBadFrame, op.ID(), err)
			}
		}
		n, err := log.Integrate(ctx, ops)
		if err != nil {
			// Not the frame's fault necessarily (a full disk, a crash):
			// nothing of it is applied and the next sync retries.
			return applied, fmt.Errorf("replicate: integrate frame: %w", err)
		}
		applied += n
	}
}
