package webhooktest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/hookgen/hookgen/runtime"
)

// Call is one handler call a Recorder saw.
type Call struct {
	// Event is the event name (runtime.Delivery.Event).
	Event string
	// Delivery is a copy of the delivery descriptor (ID, Key, Attempt…);
	// its Header and Raw are cloned.
	Delivery runtime.Delivery
	// Payload is the decoded payload the handler received (a pointer to
	// the generated type, or *map[string]any for dynamic families).
	Payload any
}

// Behavior decides what one handler call returns. Build it with Succeed,
// Fail, Retry, Reject, Panic or Block, or write one.
type Behavior func(ctx context.Context, c Call) error

// Succeed returns nil: the delivery is processed.
func Succeed() Behavior { return func(context.Context, Call) error { return nil } }

// Fail returns err as is (a plain error counts as transient).
func Fail(err error) Behavior { return func(context.Context, Call) error { return err } }

// Retry returns runtime.Retry(err, after): a transient failure, answered
// with the retry status and Retry-After.
func Retry(after time.Duration) Behavior {
	return func(context.Context, Call) error {
		return runtime.Retry(errors.New("webhooktest: retry requested"), after)
	}
}

// Reject returns runtime.Reject: a permanent failure, quarantined.
func Reject() Behavior {
	return func(context.Context, Call) error {
		return runtime.Reject(errors.New("webhooktest: rejected"))
	}
}

// Panic panics with v.
func Panic(v any) Behavior { return func(context.Context, Call) error { panic(v) } }

// Block blocks the handler in gate until the gate is released (then it
// returns nil) or the handler's context ends (then it returns the
// context's error, a transient failure).
func Block(g *Gate) Behavior {
	return func(ctx context.Context, _ Call) error {
		g.enter()
		select {
		case <-g.release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Gate holds blocked handlers (see Block). The zero value is not usable:
// build it with NewGate. It is safe for concurrent use.
type Gate struct {
	entered     chan struct{}
	release     chan struct{}
	enterOnce   sync.Once
	releaseOnce sync.Once
}

// NewGate returns a closed gate.
func NewGate() *Gate {
	return &Gate{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *Gate) enter() { g.enterOnce.Do(func() { close(g.entered) }) }

// Entered is closed as soon as a handler blocks in the gate.
func (g *Gate) Entered() <-chan struct{} { return g.entered }

// Release lets every blocked handler (and every later one) through. It is
// safe to call more than once.
func (g *Gate) Release() { g.releaseOnce.Do(func() { close(g.release) }) }

// Recorder records handler calls per event and returns what its behaviours
// say. Use it with any generated package by forwarding each Handler method
// to Record, or wrap a runtime.Dispatch with Wrap. The zero value records
// and succeeds; it is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	calls   []Call
	once    []Behavior
	always  Behavior
	onEvent map[string]Behavior
	notify  chan struct{}
}

// NewRecorder returns an empty Recorder whose calls succeed.
func NewRecorder() *Recorder { return &Recorder{} }

// Once queues b for the next call (queued behaviours are used in order,
// one per call, before any other).
func (r *Recorder) Once(b Behavior) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.once = append(r.once, b)
}

// Always makes b the behaviour of every call that has no queued or
// per-event behaviour. nil restores the default, Succeed.
func (r *Recorder) Always(b Behavior) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.always = b
}

// On makes b the behaviour of every call of event that has no queued
// behaviour. nil removes it.
func (r *Recorder) On(event string, b Behavior) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.onEvent == nil {
		r.onEvent = map[string]Behavior{}
	}
	if b == nil {
		delete(r.onEvent, event)
		return
	}
	r.onEvent[event] = b
}

// Record records one handler call of d.Event with payload p and returns
// what the behaviour says. Generated Handler methods forward to it:
//
//	func (h handler) NotificationOpened(ctx context.Context, d *runtime.Delivery, p *stackstate.NotificationOpenedEnvelope) error {
//		return h.rec.Record(ctx, d, p)
//	}
func (r *Recorder) Record(ctx context.Context, d *runtime.Delivery, p any) error {
	c := Call{Payload: p}
	if d != nil {
		c.Delivery = *d
		c.Delivery.Header = d.Header.Clone()
		c.Delivery.Raw = slices.Clone(d.Raw)
		c.Event = d.Event
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	b := r.always
	if ob, ok := r.onEvent[c.Event]; ok {
		b = ob
	}
	if len(r.once) > 0 {
		b, r.once = r.once[0], r.once[1:]
	}
	if r.notify != nil {
		close(r.notify)
		r.notify = nil
	}
	r.mu.Unlock()
	if b == nil {
		return nil
	}
	return b(ctx, c)
}

// Wrap returns a runtime.Dispatch that records every call (event and
// payload of the runtime.Event) and, when the behaviour succeeds, calls
// next (nil next: succeed). It makes any family recordable, generated
// (stackstate.Dispatch(h)) or dynamic.
func (r *Recorder) Wrap(next runtime.Dispatch) runtime.Dispatch {
	return func(ctx context.Context, d *runtime.Delivery, ev runtime.Event) error {
		dd := runtime.Delivery{}
		if d != nil {
			dd = *d
		}
		if dd.Event == "" {
			dd.Event = ev.Name
		}
		if err := r.Record(ctx, &dd, ev.Payload); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		return next(ctx, d, ev)
	}
}

// Count returns the number of calls of event ("" counts every call).
func (r *Recorder) Count(event string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if event == "" {
		return len(r.calls)
	}
	n := 0
	for _, c := range r.calls {
		if c.Event == event {
			n++
		}
	}
	return n
}

// Counts returns the number of calls per event.
func (r *Recorder) Counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, c := range r.calls {
		out[c.Event]++
	}
	return out
}

// Calls returns the calls so far, in order.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Payloads returns the payloads of event's calls ("" for every call), in
// order.
func (r *Recorder) Payloads(event string) []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []any
	for _, c := range r.calls {
		if event == "" || c.Event == event {
			out = append(out, c.Payload)
		}
	}
	return out
}

// Last returns the latest call.
func (r *Recorder) Last() (Call, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		return Call{}, false
	}
	return r.calls[len(r.calls)-1], true
}

// WaitFor waits until at least n calls have been recorded or timeout
// passes, and reports whether they were.
func (r *Recorder) WaitFor(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		if len(r.calls) >= n {
			r.mu.Unlock()
			return true
		}
		if r.notify == nil {
			r.notify = make(chan struct{})
		}
		ch := r.notify
		r.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// Reset forgets the calls and the behaviours.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls, r.once, r.always, r.onEvent = nil, nil, nil, nil
}
