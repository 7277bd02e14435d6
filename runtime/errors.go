package runtime

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors of the delivery pipeline. Every failure the runtime
// produces wraps exactly one of them, so callers use errors.Is and
// StatusFor maps them to HTTP statuses in one place.
var (
	// ErrUnauthorized: the delivery failed authentication.
	ErrUnauthorized = errors.New("hookgen: authentication failed")
	// ErrInvalidPayload: the payload failed validation (see *ValidationError).
	ErrInvalidPayload = errors.New("hookgen: invalid payload")
	// ErrUnknownEvent: the payload is well formed but names no known event.
	ErrUnknownEvent = errors.New("hookgen: unknown event")
	// ErrTooLarge: the body exceeded the size limit.
	ErrTooLarge = errors.New("hookgen: body too large")
	// ErrUnsupportedMediaType: the Content-Type is not accepted.
	ErrUnsupportedMediaType = errors.New("hookgen: unsupported media type")
	// ErrMethodNotAllowed: the HTTP method is not accepted on this path.
	ErrMethodNotAllowed = errors.New("hookgen: method not allowed")
	// ErrInFlight: a delivery with the same key is being processed now.
	ErrInFlight = errors.New("hookgen: duplicate delivery in flight")
	// ErrTransient: the handler asked to be retried later.
	ErrTransient = errors.New("hookgen: transient failure, retry later")
	// ErrPermanent: the handler rejected the delivery for good.
	ErrPermanent = errors.New("hookgen: permanent failure")
	// ErrHandlerPanic: the handler panicked.
	ErrHandlerPanic = errors.New("hookgen: handler panicked")
	// ErrStore: the idempotency or ordering store failed.
	ErrStore = errors.New("hookgen: store failure")
	// ErrConfig: the receiver is misconfigured (missing secret, bad option).
	ErrConfig = errors.New("hookgen: configuration error")
	// ErrNotHandled: the handler does not handle this event (what the
	// generated Unimplemented type returns). The delivery is acknowledged
	// with the success status and counted as unhandled, like an unknown
	// event in lenient mode.
	ErrNotHandled = errors.New("hookgen: event not handled")
)

// FieldError is one validation finding, located by a JSON pointer into the
// payload (RFC 6901) and named by the schema rule that failed.
type FieldError struct {
	// Pointer locates the offending value ("" is the whole document).
	Pointer string `json:"pointer"`
	// Rule is the JSON Schema keyword that failed: required, type, enum,
	// format, minLength, maxLength, pattern, minimum, maximum, oneOf,
	// discriminator, syntax, additionalProperties, const, minItems, maxItems.
	Rule string `json:"rule"`
	// Message says what was wrong in words, without echoing secrets.
	Message string `json:"detail"`
}

// Error returns "pointer: message (rule)".
func (e FieldError) Error() string {
	p := e.Pointer
	if p == "" {
		p = "/"
	}
	return fmt.Sprintf("%s: %s (%s)", p, e.Message, e.Rule)
}

// ValidationError is returned by generated decoders for an invalid payload.
// It wraps ErrInvalidPayload.
type ValidationError struct {
	// Errors lists every finding, in document order.
	Errors []FieldError
}

// Error joins the findings.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.Error()
	}
	return "invalid payload: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalidPayload) true.
func (e *ValidationError) Unwrap() error { return ErrInvalidPayload }

// Retry returns the outcome a handler gives for a transient failure: the
// delivery is released and the sender asked to come back (503 with
// Retry-After for retrying senders). A zero after uses the policy default.
func Retry(err error, after time.Duration) error {
	return &OutcomeError{Kind: ErrTransient, Err: err, RetryAfter: after}
}

// Reject returns the outcome a handler gives for a delivery it will never
// accept: it is quarantined (dead letter) and, for senders that retry until
// success, acknowledged so that they stop.
func Reject(err error) error {
	return &OutcomeError{Kind: ErrPermanent, Err: err}
}

// OutcomeError carries a handler's non-success outcome. Handlers build it
// with Retry or Reject; any other non-nil error a handler returns counts as
// transient.
type OutcomeError struct {
	// Kind is ErrTransient or ErrPermanent.
	Kind error
	// Err is the handler's own error (may be nil).
	Err error
	// RetryAfter overrides the advertised retry delay when non-zero.
	RetryAfter time.Duration
}

// Error describes the outcome.
func (e *OutcomeError) Error() string {
	if e.Err == nil {
		return e.Kind.Error()
	}
	return e.Kind.Error() + ": " + e.Err.Error()
}

// Unwrap exposes both the kind sentinel and the handler's error.
func (e *OutcomeError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// MediaTypeError is returned for a request whose Content-Encoding or
// Content-Type charset the receiver does not accept. It wraps
// ErrUnsupportedMediaType, and its problem document names what was refused.
type MediaTypeError struct {
	// Header is the header that was refused: "Content-Encoding" or
	// "Content-Type".
	Header string
	// Value is the refused coding or charset as sent, cut to MaxDetail
	// bytes.
	Value string
}

// Error names the header and the refused value.
func (e *MediaTypeError) Error() string {
	return "unsupported " + e.what() + " " + strconv.Quote(Truncate(e.Value, MaxDetail))
}

func (e *MediaTypeError) what() string {
	if e.Header == "Content-Encoding" {
		return "Content-Encoding"
	}
	return "charset"
}

// Unwrap makes errors.Is(err, ErrUnsupportedMediaType) true.
func (e *MediaTypeError) Unwrap() error { return ErrUnsupportedMediaType }

// MaxDetail bounds every piece of text taken from a request that the
// runtime puts into an answer or a log line: a finding's message, a
// refused value, an error string.
const MaxDetail = 256

// MaxFindings bounds the findings of a problem document.
const MaxFindings = 20

// Truncate returns s cut to at most n bytes on a UTF-8 boundary, with "…"
// appended when it was cut; n <= 0 means MaxDetail.
func Truncate(s string, n int) string {
	if n <= 0 {
		n = MaxDetail
	}
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
