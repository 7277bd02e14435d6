package runtime

import (
	"net/http"
	"net/url"
	"time"
)

// Request is one inbound delivery as read off the wire, before any decision
// is made about it. The pipeline reads the body once, bounded, into Raw; the
// verifier, validator and decoder all share that one buffer and nothing is
// re-serialised before a signature is checked.
//
// A Request is owned by one delivery and must not be retained by callees
// after the delivery completes.
type Request struct {
	// Method is the HTTP method, upper case.
	Method string
	// Path is the URL path the delivery arrived on.
	Path string
	// Webhook is the name of the webhook the delivery arrived for
	// (runtime.Webhook.Name); it selects the operation's security.
	Webhook string
	// Header holds the request headers as received.
	Header http.Header
	// Query holds the decoded URL query parameters.
	Query url.Values
	// PathParams holds named path parameters, if the route declares any.
	PathParams map[string]string
	// Raw is the request body exactly as received (possibly empty).
	Raw []byte
	// Body is the JSON document the payload is decoded from. For JSON
	// deliveries it is Raw itself (same backing array); for query-encoded
	// deliveries (Butler GET) it is the JSON object built from the query
	// parameters by the webhook's QueryBody function.
	Body []byte
	// Document is Body parsed once into the generic tree the validators
	// check (objects as map[string]any, numbers as json.Number), set by the
	// webhook's Decode. Body expressions of event selection, idempotency
	// keys and ordering read it instead of scanning Body again; nil until
	// then.
	Document any
	// ReceivedAt is when the pipeline started reading the delivery, from the
	// receiver's clock.
	ReceivedAt time.Time
	// RemoteAddr is the network address of the sender as seen by the server.
	RemoteAddr string
}
