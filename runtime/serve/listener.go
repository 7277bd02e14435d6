package serve

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// phase is what a tracked connection is doing, for eviction.
type phase int

const (
	phaseNew     phase = iota // accepted, no request byte read yet
	phaseReading              // reading a request line, headers or body
	phaseIdle                 // keep-alive, waiting for the next request
	phaseBusy                 // its request holds a slot: never evicted
)

// evictable reports whether a connection in p may be closed to make room.
func (p phase) evictable() bool { return p != phaseBusy }

// connLimiter is a net.Listener that keeps at most max connections open. At
// the cap, Accept closes the evictable connection whose phase started
// earliest (idle ones first) before handing out the new one; with none
// evictable, the new connection is closed.
type connLimiter struct {
	net.Listener
	max   int
	now   func() time.Time
	stats *serverMetrics

	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func newConnLimiter(ln net.Listener, max int, now func() time.Time, stats *serverMetrics) *connLimiter {
	return &connLimiter{Listener: ln, max: max, now: now, stats: stats, conns: make(map[*trackedConn]struct{}, max)}
}

// Accept waits for a connection and makes room for it.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, l: l, since: l.now()}
		victim, ok := l.admit(tc)
		if victim != nil {
			l.stats.evicted.Inc()
			_ = victim.Conn.Close()
		}
		if !ok {
			l.stats.refused.Inc()
			_ = c.Close()
			continue
		}
		return tc, nil
	}
}

// admit adds tc, choosing a victim when at the cap; false when no room.
func (l *connLimiter) admit(tc *trackedConn) (victim *trackedConn, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.conns) >= l.max {
		victim = l.victimLocked()
		if victim == nil {
			return nil, false
		}
		delete(l.conns, victim)
	}
	l.conns[tc] = struct{}{}
	l.stats.open.Set(float64(len(l.conns)))
	return victim, true
}

// victimLocked picks the idle connection idle for longest, else the
// connection that has been new or reading for longest.
func (l *connLimiter) victimLocked() *trackedConn {
	var best *trackedConn
	better := func(c *trackedConn) bool {
		if best == nil {
			return true
		}
		if (c.phase == phaseIdle) != (best.phase == phaseIdle) {
			return c.phase == phaseIdle
		}
		return c.since.Before(best.since)
	}
	for c := range l.conns {
		if c.phase.evictable() && better(c) {
			best = c
		}
	}
	return best
}

func (l *connLimiter) forget(tc *trackedConn) {
	l.mu.Lock()
	delete(l.conns, tc)
	l.stats.open.Set(float64(len(l.conns)))
	l.mu.Unlock()
}

func (l *connLimiter) setPhase(tc *trackedConn, p phase) {
	l.mu.Lock()
	if tc.phase != p {
		tc.phase, tc.since = p, l.now()
	}
	l.mu.Unlock()
}

// connState follows http.Server's view of each connection.
func (l *connLimiter) connState(c net.Conn, s http.ConnState) {
	tc, ok := c.(*trackedConn)
	if !ok {
		return
	}
	switch s {
	case http.StateNew:
		l.setPhase(tc, phaseNew)
	case http.StateActive:
		l.setPhase(tc, phaseReading)
	case http.StateIdle:
		l.setPhase(tc, phaseIdle)
	case http.StateHijacked, http.StateClosed:
		l.forget(tc)
	}
}

// trackedConn is a connection counted by a connLimiter.
type trackedConn struct {
	net.Conn
	l *connLimiter
	// phase and since are guarded by l.mu.
	phase phase
	since time.Time
}

// Close closes the connection and frees its place.
func (c *trackedConn) Close() error {
	c.l.forget(c)
	return c.Conn.Close()
}

type connKey struct{}

// withConn is http.Server.ConnContext: it lets a request find its connection.
func withConn(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*trackedConn); ok {
		return context.WithValue(ctx, connKey{}, tc)
	}
	return ctx
}

func connOf(ctx context.Context) *trackedConn {
	tc, _ := ctx.Value(connKey{}).(*trackedConn)
	return tc
}
