package runtime

import (
	"context"
	"time"

	"github.com/hookgen/hookgen/runtime/query"
)

// DeliveryMode says how a sender behaves when it does not get the
// acknowledgement it wants. It drives the default acknowledgement policy.
type DeliveryMode int

const (
	// RetryUntilSuccess senders retry until they see the success status
	// (StackState: exactly 200). A poison message must therefore be
	// quarantined and acknowledged, or it is retried forever.
	RetryUntilSuccess DeliveryMode = iota + 1
	// SingleAttempt senders send once and never retry (Butler, CenturyLink,
	// NetPulse before 0.4.2). A 5xx loses the event.
	SingleAttempt
	// LimitedRetries senders retry a bounded number of times on failure
	// (NetPulse 0.4.2 and later).
	LimitedRetries
)

// String returns the x-hookgen-delivery spelling of the mode.
func (m DeliveryMode) String() string {
	switch m {
	case RetryUntilSuccess:
		return "retry-until-success"
	case SingleAttempt:
		return "single-attempt"
	case LimitedRetries:
		return "limited-retries"
	default:
		return "unknown"
	}
}

// ParseDeliveryMode parses the x-hookgen-delivery mode spelling.
func ParseDeliveryMode(s string) (DeliveryMode, bool) {
	switch s {
	case "retry-until-success":
		return RetryUntilSuccess, true
	case "single-attempt":
		return SingleAttempt, true
	case "limited-retries":
		return LimitedRetries, true
	}
	return 0, false
}

// DeliveryPolicy is what the spec says about a sender's delivery semantics.
// The zero value is completed by Defaults.
type DeliveryPolicy struct {
	// Mode is the sender's retry behaviour.
	Mode DeliveryMode
	// SuccessStatus is the status that tells the sender "done" (default 200).
	SuccessStatus int
	// RetryStatus is the status that makes a retrying sender come back later
	// (default 503, always sent with Retry-After).
	RetryStatus int
	// AuthFailureStatus is the status answered when authentication fails
	// (default 401; StackState's spec declares 404 "Invalid token").
	AuthFailureStatus int
	// MaxBodyBytes caps the request body (default 1 MiB); larger bodies get 413.
	MaxBodyBytes int64
	// RetryAfter is the delay advertised in Retry-After (default 5 s).
	RetryAfter time.Duration
}

// Defaults returns p with every zero field set to its documented default.
func (p DeliveryPolicy) Defaults() DeliveryPolicy {
	if p.Mode == 0 {
		p.Mode = SingleAttempt
	}
	if p.SuccessStatus == 0 {
		p.SuccessStatus = 200
	}
	if p.RetryStatus == 0 {
		p.RetryStatus = 503
	}
	if p.AuthFailureStatus == 0 {
		p.AuthFailureStatus = 401
	}
	if p.MaxBodyBytes == 0 {
		p.MaxBodyBytes = 1 << 20
	}
	if p.RetryAfter == 0 {
		p.RetryAfter = 5 * time.Second
	}
	return p
}

// Encoding says where a webhook's payload comes from.
type Encoding int

const (
	// JSONBody payloads are a JSON request body, on any method (NetPulse
	// sends a JSON body even on GET and DELETE).
	JSONBody Encoding = iota + 1
	// QueryParams payloads are URL query parameters that QueryBody turns
	// into the JSON object the decoder reads (Butler GET).
	QueryParams
)

// Event is a decoded, validated payload together with the name of the
// handler method that receives it.
type Event struct {
	// Name is the event name, which is also the Handler method name
	// (for example "NotificationOpened").
	Name string
	// Payload is a pointer to the generated payload type.
	Payload any
	// Warnings lists lenient-mode findings (unknown enum values and the
	// like) that did not reject the payload; they are logged and counted.
	Warnings []FieldError
}

// Position is where a delivery sits in its entity's lifecycle, as declared
// by x-hookgen-ordering.
type Position struct {
	// Entity identifies the lifecycle (StackState: notificationId).
	Entity string
	// Version orders messages of one entity (StackState: triggeredTimeMs);
	// zero when the message carries none.
	Version int64
	// HasVersion is false when the message carries no version (StackState
	// close events), in which case only Terminal ordering applies.
	HasVersion bool
	// Terminal is true for the last message of a lifecycle (close).
	Terminal bool
}

// Webhook describes one receivable webhook (one mount path, one or more
// methods). Generated code fills it in; hookgen serve builds one from a spec
// at run time. All function fields must be safe for concurrent use.
type Webhook struct {
	// Name is the webhook's key in the spec (the webhooks: map key, or the
	// path for specs that use paths:).
	Name string
	// Path is the default mount path.
	Path string
	// Methods lists the accepted HTTP methods; others get 405.
	Methods []string
	// Encoding says, per method, where the payload comes from; methods
	// missing from the map use JSONBody.
	Encoding map[string]Encoding
	// ContentTypes lists the accepted media types for JSON bodies (default
	// application/json); others get 415, and so does a charset other than
	// UTF-8. Other parameters are ignored.
	ContentTypes []string
	// QueryBody builds the JSON payload document from query parameters for
	// QueryParams methods. Nil when no method is query-encoded.
	QueryBody func(req *Request) ([]byte, error)
	// Query maps query parameters to JSON properties for QueryParams
	// methods; senders use it to encode payloads as the vendor does.
	Query []query.Field
	// Decode validates req.Body and decodes it into the typed payload of the
	// event it carries. Strict enables strict enum and format checks. An
	// unknown event returns an error wrapping ErrUnknownEvent; an invalid
	// payload returns a *ValidationError.
	Decode func(req *Request, strict bool) (Event, error)
	// Key returns the idempotency key of the delivery; "" means the
	// delivery carries no key and is not deduplicated.
	Key func(req *Request, ev Event) (string, error)
	// Order returns the delivery's lifecycle position; ok is false when the
	// webhook or event is not ordered. Nil when the spec declares no ordering.
	Order func(req *Request, ev Event) (pos Position, ok bool, err error)
	// Security maps a method to the security requirements of its
	// operation: the operation's own `security`, else the spec's root
	// `security`. PublicSecurity() is an operation declaring
	// `security: []`. A method missing from the map (or mapped to nil)
	// uses Family.Security.
	Security map[string][]SecurityRequirement
}

// PublicSecurity returns the requirements of an operation that declares
// `security: []`: one empty requirement, which every delivery meets.
func PublicSecurity() []SecurityRequirement { return []SecurityRequirement{{}} }

// Requirements returns the security requirements that authenticate a
// delivery to webhook w by method: the operation's own, else the family's.
func (f *Family) Requirements(w *Webhook, method string) []SecurityRequirement {
	if w != nil {
		if r := w.Security[method]; r != nil {
			return r
		}
	}
	return f.Security
}

// SecurityLists returns every distinct list of security requirements the
// family's operations are authenticated with, in webhook and method order;
// the family's own list when it has no webhook. Secrets are checked
// against all of them at start.
func (f *Family) SecurityLists() [][]SecurityRequirement {
	var out [][]SecurityRequirement
	add := func(l []SecurityRequirement) {
		for _, o := range out {
			if sameRequirements(o, l) {
				return
			}
		}
		out = append(out, l)
	}
	if len(f.Webhooks) == 0 {
		add(f.Security)
	}
	for i := range f.Webhooks {
		w := &f.Webhooks[i]
		for _, m := range w.Methods {
			add(f.Requirements(w, m))
		}
	}
	return out
}

// Optional reports whether the requirements admit a delivery without
// credentials: there are none, or one of them is empty.
func Optional(reqs []SecurityRequirement) bool {
	if len(reqs) == 0 {
		return true
	}
	for _, r := range reqs {
		if len(r) == 0 {
			return true
		}
	}
	return false
}

func sameRequirements(a, b []SecurityRequirement) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

// Family is everything the runtime needs to know about one sender's spec.
type Family struct {
	// Name is the family name (stackstate, butler, …), used in logs,
	// metrics and store keys.
	Name string
	// Delivery is the sender's delivery policy.
	Delivery DeliveryPolicy
	// Security lists the alternative security requirements (OR of ANDs),
	// as OpenAPI security does, of every operation that declares none of
	// its own (Webhook.Security). Empty means no authentication.
	Security []SecurityRequirement
	// Schemes holds the security schemes referenced by Security, by name.
	Schemes map[string]SecurityScheme
	// Webhooks lists the receivable webhooks.
	Webhooks []Webhook
}

// SecurityRequirement is one alternative of an OpenAPI security list: every
// named scheme must pass. An empty requirement means "no authentication" and
// makes the whole security optional.
type SecurityRequirement []string

// SchemeKind is the kind of a security scheme.
type SchemeKind int

const (
	// APIKey is a shared token in a header, query parameter or cookie.
	APIKey SchemeKind = iota + 1
	// Basic is HTTP Basic authentication.
	Basic
	// Bearer is an HTTP bearer token.
	Bearer
	// Signature is a signature over the body declared by x-hookgen-signature.
	Signature
)

// SecurityScheme is one entry of components.securitySchemes, as the runtime
// needs it.
type SecurityScheme struct {
	// Name is the scheme's key in components.securitySchemes.
	Name string
	// Kind is the scheme's kind.
	Kind SchemeKind
	// In is "header", "query" or "cookie" for APIKey schemes.
	In string
	// Param is the header, query parameter or cookie name for APIKey
	// schemes, and the signature header for Signature schemes.
	Param string
	// Signature describes a signature scheme; nil for other kinds.
	Signature *SignatureSpec
}

// SignatureSpec is the parsed x-hookgen-signature extension.
type SignatureSpec struct {
	// Format is one of "standard-webhooks", "github", "stripe", "rsa-sha1",
	// "hmac" (a generic HMAC over the body).
	Format string
	// Header carries the signature.
	Header string
	// Algorithm is "hmac-sha256", "hmac-sha1", "hmac-sha512", "rsa-sha1",
	// "rsa-sha256" or "ed25519".
	Algorithm string
	// Encoding of the signature bytes: "base64" or "hex".
	Encoding string
	// Prefix precedes the encoded signature (GitHub "sha256=").
	Prefix string
	// IDHeader and TimestampHeader name the delivery id and timestamp
	// headers (Standard Webhooks webhook-id / webhook-timestamp).
	IDHeader        string
	TimestampHeader string
	// Tolerance is the replay window for timestamped signatures (default 5 min).
	Tolerance time.Duration
}

// Dispatch calls the handler method that Event names. Generated code
// provides it as a switch over event names; it returns ErrUnknownEvent for
// a name it does not know.
type Dispatch func(ctx context.Context, d *Delivery, ev Event) error
