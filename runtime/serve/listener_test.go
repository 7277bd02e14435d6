package serve

import (
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The victim is the connection idle for longest, else the one new or
// reading for longest; busy ones never.
func TestVictimOrder(t *testing.T) {
	m, err := newServerMetrics(prometheus.NewRegistry())
	require.NoError(t, err)
	l := newConnLimiter(nil, 100, m)
	conn := func() *trackedConn {
		a, b := net.Pipe()
		t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
		tc := &trackedConn{Conn: a, l: l}
		_, ok := l.admit(tc)
		require.True(t, ok)
		return tc
	}
	c1, c2, c3, c4 := conn(), conn(), conn(), conn()
	l.setPhase(c1, phaseBusy)
	l.setPhase(c2, phaseReading)
	l.setPhase(c3, phaseIdle)
	l.setPhase(c4, phaseIdle)
	order := func() []*trackedConn {
		var out []*trackedConn
		l.mu.Lock()
		defer l.mu.Unlock()
		for v := l.victimLocked(); v != nil; v = l.victimLocked() {
			out = append(out, v)
			l.forgetLocked(v)
		}
		return out
	}
	assert.Equal(t, []*trackedConn{c3, c4, c2}, order(), "idle oldest first, then reading; never busy")
	assert.Equal(t, 1, l.open)
}
