package serve

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hookgen/hookgen/runtime"
)

// gate is the middleware in front of the webhook handler. A request takes
// one of the slots when it arrives (503 when none is free) and holds it while
// the handler works, but not while the handler waits for body bytes from the
// network: each read of the body gives the slot back and takes it again
// afterwards. A client trickling its body therefore holds no slot, and the
// handler still checks the headers (authentication) before any body byte is
// read.
type gate struct {
	next       http.Handler
	slots      chan struct{}
	retryAfter time.Duration
	limiter    *connLimiter
	stats      *serverMetrics
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case g.slots <- struct{}{}:
	default:
		g.saturated(w)
		return
	}
	tc := connOf(r.Context())
	sb := &slotBody{g: g, tc: tc, ctx: r.Context(), held: true}
	if r.Body != nil && r.Body != http.NoBody {
		// A shallow copy: net/http keeps its own request's body type, which
		// it needs to answer without reading a large unread body first.
		r2 := new(http.Request)
		*r2 = *r
		sb.body = r.Body
		r2.Body = sb
		r = r2
	}
	g.busy(tc, true)
	defer sb.release()
	if sb.body != nil {
		w = &closingWriter{ResponseWriter: w, body: sb}
	}
	g.next.ServeHTTP(w, r)
}

// closingWriter closes the connection after a response sent before the
// request body was read to its end (a refusal from the headers): net/http
// would otherwise read up to 256 KiB of the unread body before answering.
type closingWriter struct {
	http.ResponseWriter
	body    *slotBody
	started bool
}

// WriteHeader adds "Connection: close" when the body is unread.
func (c *closingWriter) WriteHeader(code int) {
	c.start()
	c.ResponseWriter.WriteHeader(code)
}

// Write starts the response as WriteHeader does.
func (c *closingWriter) Write(p []byte) (int, error) {
	c.start()
	return c.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController the underlying writer.
func (c *closingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *closingWriter) start() {
	if c.started {
		return
	}
	c.started = true
	if !c.body.eof {
		c.Header().Set("Connection", "close")
	}
}

// busy marks the request's connection as handled (never evicted) or not.
func (g *gate) busy(tc *trackedConn, on bool) {
	if on {
		g.stats.inflight.Inc()
	} else {
		g.stats.inflight.Dec()
	}
	if tc == nil {
		return
	}
	if on {
		g.limiter.setPhase(tc, phaseBusy)
	} else {
		g.limiter.setPhase(tc, phaseReading)
	}
}

// errGone reports that the client went away while a read waited for a
// slot.
var errGone = errors.New("serve: request cancelled while waiting for a delivery slot")

// slotBody is a request body that gives the request's slot back while it
// reads from the network.
type slotBody struct {
	g    *gate
	tc   *trackedConn
	ctx  context.Context
	body io.ReadCloser
	held bool
	eof  bool // the body was read to its end
}

// Read gives the slot back, reads, and takes a slot again (waiting for one:
// a request already being handled is never refused half way).
func (b *slotBody) Read(p []byte) (int, error) {
	b.release()
	n, err := b.body.Read(p)
	select {
	case b.g.slots <- struct{}{}:
	case <-b.ctx.Done():
		return n, errors.Join(errGone, b.ctx.Err())
	}
	b.held = true
	b.g.busy(b.tc, true)
	if errors.Is(err, io.EOF) {
		b.eof = true
	}
	return n, err
}

// Close closes the underlying body.
func (b *slotBody) Close() error { return b.body.Close() }

func (b *slotBody) release() {
	if !b.held {
		return
	}
	b.held = false
	b.g.busy(b.tc, false)
	<-b.g.slots
}

// saturated answers 503 with Retry-After and a problem document.
func (g *gate) saturated(w http.ResponseWriter) {
	g.stats.rejected.Inc()
	secs := int((g.retryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	runtime.WriteProblem(w, runtime.Problem{
		Type: runtime.ProblemTypeBase + "overloaded", Title: "Server busy",
		Status: http.StatusServiceUnavailable, Detail: "Try again later: every delivery slot is in use.",
	})
}
