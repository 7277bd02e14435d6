package runtime

import (
	"net/http"
	"time"
)

// Delivery describes one delivery to a handler: who sent what, when, and how
// many times the runtime has tried it.
type Delivery struct {
	// ID is the delivery id: the sender's own id header where the spec
	// declares one, else derived from the idempotency key.
	ID string
	// Key is the idempotency key ("" when the delivery has none).
	Key string
	// Family and Webhook name where the delivery came in.
	Family  string
	Webhook string
	// Event is the event name (the handler method).
	Event string
	// Attempt counts the runtime's attempts at this key, starting at 1.
	Attempt int
	// Header holds the request headers (secrets included: do not log them).
	Header http.Header
	// ReceivedAt is when the delivery arrived.
	ReceivedAt time.Time
	// Raw is the raw body as received; do not retain after the handler returns.
	Raw []byte
	// Fence is the fencing number of the claim or lease under which the
	// handler runs: it strictly increases every time the delivery is
	// claimed again, so a system the handler writes to can refuse a write
	// carrying a lower fence than one it has seen (a holder that lost its
	// lease). 0 when the delivery has no key.
	Fence int64
}
