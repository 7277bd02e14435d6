package runtime

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// ProblemTypeBase prefixes every problem type URI the runtime produces; the
// suffix is a stable slug per error sentinel (for example
// "https://hookgen.dev/problems/invalid-payload").
const ProblemTypeBase = "https://hookgen.dev/problems/"

// ProblemContentType is the media type of a problem document (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details document. The runtime builds it
// with ProblemFor and writes it with WriteProblem; it never carries secrets,
// headers or handler error messages.
type Problem struct {
	// Type is a URI identifying the problem kind (ProblemTypeBase + slug).
	Type string `json:"type"`
	// Title is a short, fixed summary of the problem kind.
	Title string `json:"title"`
	// Status is the HTTP status code of the response.
	Status int `json:"status"`
	// Detail explains this occurrence; empty for authentication failures.
	Detail string `json:"detail,omitempty"`
	// Instance identifies this occurrence (the delivery id), if known.
	Instance string `json:"instance,omitempty"`
	// Errors lists the validation findings of an invalid payload, each
	// located by a JSON pointer.
	Errors []FieldError `json:"errors,omitempty"`
}

// problemKind is the fixed description of one sentinel.
type problemKind struct {
	sentinel error
	slug     string
	title    string
	detail   string
}

// problemKinds lists the sentinels in the order StatusFor and ProblemFor
// test them. Handler outcomes (*OutcomeError) are resolved first, by their
// Kind, so that a handler error wrapping another sentinel cannot change the
// answer. It is a read-only table, never modified.
var problemKinds = [...]problemKind{
	{ErrUnauthorized, "unauthorized", "Unauthorized", ""},
	{ErrMethodNotAllowed, "method-not-allowed", "Method not allowed", "The HTTP method is not accepted on this path."},
	{ErrUnsupportedMediaType, "unsupported-media-type", "Unsupported media type", "The Content-Type of the request is not accepted on this path."},
	{ErrTooLarge, "too-large", "Payload too large", "The request body exceeds the size limit."},
	{ErrInvalidPayload, "invalid-payload", "Invalid payload", "The payload does not match the schema."},
	{ErrUnknownEvent, "unknown-event", "Unknown event", "The payload names no event this receiver knows."},
	{ErrInFlight, "in-flight", "Delivery in flight", "A delivery with the same idempotency key is being processed; retry later."},
	{ErrPermanent, "rejected", "Delivery rejected", "The receiver rejected the delivery for good."},
	{ErrTransient, "transient", "Transient failure", "The receiver could not process the delivery now; retry later."},
	{ErrHandlerPanic, "handler-panic", "Handler failed", "The receiver failed while processing the delivery."},
	{ErrStore, "store-unavailable", "Store unavailable", "The receiver's store is unavailable; retry later."},
	{ErrConfig, "configuration", "Receiver misconfigured", "The receiver is misconfigured."},
}

// internalKind describes errors outside the vocabulary (read-only).
var internalKind = problemKind{nil, "internal", "Internal error", "The receiver failed while processing the delivery."}

// kindOf finds the problem kind of err.
func kindOf(err error) problemKind {
	var oe *OutcomeError
	if errors.As(err, &oe) && oe.Kind != nil {
		err = oe.Kind
	}
	for _, k := range problemKinds {
		if errors.Is(err, k.sentinel) {
			return k
		}
	}
	return internalKind
}

// StatusFor is the one mapping of the runtime's error vocabulary to HTTP
// statuses:
//
//	ErrUnauthorized          p.AuthFailureStatus
//	ErrInvalidPayload        400
//	ErrUnknownEvent          400 (only reached in strict mode)
//	ErrTooLarge              413
//	ErrUnsupportedMediaType  415
//	ErrMethodNotAllowed      405
//	ErrInFlight              p.RetryStatus (a retrying sender must come back)
//	ErrTransient             p.RetryStatus
//	ErrPermanent             422
//	ErrHandlerPanic          500
//	ErrStore                 503
//	anything else            500
//
// A handler outcome (*OutcomeError) is mapped by its Kind. Zero fields of p
// take their DeliveryPolicy defaults. A nil err maps to p.SuccessStatus.
func StatusFor(err error, p DeliveryPolicy) int {
	p = p.Defaults()
	if err == nil {
		return p.SuccessStatus
	}
	return statusOf(kindOf(err), p)
}

func statusOf(k problemKind, p DeliveryPolicy) int {
	switch k.sentinel {
	case ErrUnauthorized:
		return p.AuthFailureStatus
	case ErrInvalidPayload, ErrUnknownEvent:
		return http.StatusBadRequest
	case ErrTooLarge:
		return http.StatusRequestEntityTooLarge
	case ErrUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case ErrMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case ErrInFlight, ErrTransient:
		return p.RetryStatus
	case ErrPermanent:
		return http.StatusUnprocessableEntity
	case ErrStore:
		return http.StatusServiceUnavailable
	default: // ErrHandlerPanic, ErrConfig, unknown errors
		return http.StatusInternalServerError
	}
}

// ProblemFor builds the problem document answered for err. Titles and
// details are fixed per sentinel and never echo the error's message, so
// they cannot leak secrets or payload content; an authentication failure
// gets no detail at all. A *ValidationError contributes its findings to
// Errors (JSON pointer, rule and message per finding; at most MaxFindings
// findings, each text cut to MaxDetail bytes). A *MediaTypeError names the
// refused coding or charset in Detail. The caller may set Instance.
func ProblemFor(err error, p DeliveryPolicy) Problem {
	p = p.Defaults()
	k := kindOf(err)
	pr := Problem{
		Type:   ProblemTypeBase + k.slug,
		Title:  k.title,
		Status: statusOf(k, p),
		Detail: k.detail,
	}
	switch k.sentinel {
	case ErrTooLarge:
		pr.Detail = "The request body exceeds the limit of " + strconv.FormatInt(p.MaxBodyBytes, 10) + " bytes."
	case ErrUnsupportedMediaType:
		var me *MediaTypeError
		if errors.As(err, &me) {
			pr.Detail = "The " + me.what() + " " + strconv.Quote(Truncate(me.Value, MaxDetail)) + " is not accepted."
		}
	case ErrInvalidPayload:
		var ve *ValidationError
		if errors.As(err, &ve) && len(ve.Errors) > 0 {
			pr.Errors = boundFindings(ve.Errors)
		}
	}
	return pr
}

// boundFindings copies at most MaxFindings findings, each text cut to
// MaxDetail bytes, so that a hostile payload cannot make the answer large.
func boundFindings(in []FieldError) []FieldError {
	out := make([]FieldError, min(len(in), MaxFindings))
	for i := range out {
		out[i] = FieldError{
			Pointer: Truncate(in[i].Pointer, MaxDetail),
			Rule:    Truncate(in[i].Rule, MaxDetail),
			Message: Truncate(in[i].Message, MaxDetail),
		}
	}
	return out
}

// WriteProblem writes pr as the response, with Content-Type
// application/problem+json and status pr.Status (500 when zero). Headers
// such as Allow or Retry-After must be set on w before the call.
func WriteProblem(w http.ResponseWriter, pr Problem) {
	if pr.Status == 0 {
		pr.Status = http.StatusInternalServerError
	}
	body, err := json.Marshal(pr)
	if err != nil { // cannot happen: Problem holds only strings and ints
		body = []byte(`{"title":"Internal error","status":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(pr.Status)
	_, _ = w.Write(body)
}
