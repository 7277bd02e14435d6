package serve

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/hookgen/hookgen/runtime"
)

// Buffered bodies draw on the memory budget in steps that start at
// firstChunk and double up to maxChunk, so that a client trickling its body
// holds about firstChunk of the budget, and a fast large body few steps.
const (
	firstChunk = 1 << 10
	maxChunk   = 64 << 10
)

// gate is the middleware in front of the webhook handler: it reads the body
// (outside any slot), then takes a slot or answers 503.
type gate struct {
	next       http.Handler
	slots      chan struct{}
	memory     *semaphore.Weighted
	maxBody    int64
	retryAfter time.Duration
	limiter    *connLimiter
	stats      *serverMetrics
	bufs       sync.Pool // *bytes.Buffer
}

// maxPooled is the largest body buffer returned to the pool.
const maxPooled = 64 << 10

// errBusy reports that no slot or no body memory was free.
var errBusy = errors.New("serve: saturated")

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tc := connOf(r.Context())
	buf, _ := g.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	held, err := g.buffer(r, buf)
	defer func() {
		if held > 0 {
			g.memory.Release(held)
		}
		// The handler has returned: it may no longer read r.Body.
		if buf.Cap() <= maxPooled {
			g.bufs.Put(buf)
		}
	}()
	if errors.Is(err, errBusy) {
		g.saturated(w, "the server is buffering as many request bodies as it may")
		return
	}
	if err != nil {
		// The client went away or timed out while sending: nothing to answer.
		w.Header().Set("Connection", "close")
		runtime.WriteProblem(w, runtime.Problem{
			Type: runtime.ProblemTypeBase + "incomplete-request", Title: "Incomplete request",
			Status: http.StatusBadRequest, Detail: "The request body could not be read in time.",
		})
		return
	}
	select {
	case g.slots <- struct{}{}:
	default:
		g.saturated(w, "every delivery slot is in use")
		return
	}
	if tc != nil {
		g.limiter.setPhase(tc, phaseBusy)
	}
	g.stats.inflight.Inc()
	defer func() {
		g.stats.inflight.Dec()
		<-g.slots
		if tc != nil {
			g.limiter.setPhase(tc, phaseReading)
		}
	}()
	g.next.ServeHTTP(w, r)
}

// buffer reads up to maxBody bytes of r's body into memory drawn from the
// budget, and replaces r.Body with what it read followed by the unread rest.
// It returns the budget it holds.
func (g *gate) buffer(r *http.Request, buf *bytes.Buffer) (int64, error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return 0, nil
	}
	var held int64
	step := int64(firstChunk)
	limit := g.maxBody + 1 // one more byte tells "longer than allowed"
	for int64(buf.Len()) < limit {
		if int64(buf.Len()) >= held {
			grow := min(step, limit-held)
			if !g.memory.TryAcquire(grow) {
				return held, errBusy
			}
			held += grow
			step = min(2*step, maxChunk)
			buf.Grow(int(grow))
		}
		_, err := io.CopyN(buf, r.Body, held-int64(buf.Len()))
		if errors.Is(err, io.EOF) {
			r.Body = io.NopCloser(buf)
			return held, nil
		}
		if err != nil {
			return held, err
		}
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(buf, r.Body), r.Body}
	return held, nil
}

// saturated answers 503 with Retry-After and a problem document.
func (g *gate) saturated(w http.ResponseWriter, why string) {
	g.stats.rejected.Inc()
	secs := int((g.retryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	runtime.WriteProblem(w, runtime.Problem{
		Type: runtime.ProblemTypeBase + "overloaded", Title: "Server busy",
		Status: http.StatusServiceUnavailable, Detail: "Try again later: " + why + ".",
	})
}
