package serve

import (
	"container/list"
	"context"
	"net"
	"net/http"
	"sync"
)

// phase is what a tracked connection is doing, for eviction.
type phase int

const (
	phaseNew     phase = iota // accepted, no request byte read yet
	phaseReading              // reading a request line, headers or body
	phaseIdle                 // keep-alive, waiting for the next request
	phaseBusy                 // its request holds a slot: never evicted
)

// connLimiter is a net.Listener that keeps at most max connections open. At
// the cap, Accept closes the evictable connection whose phase started
// earliest (idle ones first) before handing out the new one; with none
// evictable, the new connection is closed. Evictable connections sit in two
// lists ordered by when their phase started (idle; new or reading), so
// that choosing a victim takes constant time.
type connLimiter struct {
	net.Listener
	max   int
	stats *serverMetrics

	mu      sync.Mutex
	open    int
	idle    list.List // of *trackedConn, oldest first
	reading list.List // of *trackedConn (new or reading), oldest first
}

func newConnLimiter(ln net.Listener, max int, stats *serverMetrics) *connLimiter {
	return &connLimiter{Listener: ln, max: max, stats: stats}
}

// Accept waits for a connection and makes room for it.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, l: l}
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
	if l.open >= l.max {
		victim = l.victimLocked()
		if victim == nil {
			return nil, false
		}
		l.forgetLocked(victim)
	}
	l.open++
	tc.tracked = true
	l.placeLocked(tc, phaseNew)
	l.stats.open.Set(float64(l.open))
	return victim, true
}

// victimLocked picks the connection idle for longest, else the one new or
// reading for longest.
func (l *connLimiter) victimLocked() *trackedConn {
	for _, ls := range []*list.List{&l.idle, &l.reading} {
		if e := ls.Front(); e != nil {
			return e.Value.(*trackedConn)
		}
	}
	return nil
}

// placeLocked moves tc to phase p, at the back of its list.
func (l *connLimiter) placeLocked(tc *trackedConn, p phase) {
	if tc.elem != nil {
		tc.list.Remove(tc.elem)
		tc.elem, tc.list = nil, nil
	}
	tc.phase = p
	switch p {
	case phaseIdle:
		tc.list = &l.idle
	case phaseNew, phaseReading:
		tc.list = &l.reading
	case phaseBusy:
		return
	}
	tc.elem = tc.list.PushBack(tc)
}

func (l *connLimiter) forgetLocked(tc *trackedConn) {
	if !tc.tracked {
		return
	}
	tc.tracked = false
	if tc.elem != nil {
		tc.list.Remove(tc.elem)
		tc.elem, tc.list = nil, nil
	}
	l.open--
	l.stats.open.Set(float64(l.open))
}

func (l *connLimiter) forget(tc *trackedConn) {
	l.mu.Lock()
	l.forgetLocked(tc)
	l.mu.Unlock()
}

func (l *connLimiter) setPhase(tc *trackedConn, p phase) {
	l.mu.Lock()
	if tc.tracked && tc.phase != p {
		l.placeLocked(tc, p)
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
	// The fields below are guarded by l.mu.
	tracked bool // counted in l.open
	phase   phase
	list    *list.List    // the list holding elem; nil when busy
	elem    *list.Element // tc's place in list
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
