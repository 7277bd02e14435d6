package receiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestBackoff: the delay doubles per attempt from the base up to the cap,
// with equal jitter: between half and all of it, and not always the same.
func TestBackoff(t *testing.T) {
	r := &Receiver{backoffBase: 100 * time.Millisecond, backoffMax: time.Second}
	for n, full := range map[int]time.Duration{
		1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond,
		4: 800 * time.Millisecond, 5: time.Second, 40: time.Second,
	} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := r.backoff(n)
			assert.GreaterOrEqual(t, d, full/2, "attempt %d", n)
			assert.LessOrEqual(t, d, full, "attempt %d", n)
			seen[d] = true
		}
		assert.Greater(t, len(seen), 1, "attempt %d: jittered", n)
	}
}
