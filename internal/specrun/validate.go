package specrun

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/hookgen/hookgen/runtime"
)

// Payload is one payload to validate or send: a JSON body, or a query
// string (Butler GET).
type Payload struct {
	// Name says where the payload came from (a file name, "-", a URL).
	Name string
	// Body is the JSON document (nil for a query payload).
	Body []byte
	// Query is the raw query string, without '?'.
	Query string
	// IsQuery is true for query-encoded payloads.
	IsQuery bool
}

// QueryPayload parses s, a query string or a URL with a query, as a
// query-encoded payload.
func QueryPayload(name, s string) (Payload, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[i+1:]
	}
	if _, err := url.ParseQuery(s); err != nil {
		return Payload{}, fmt.Errorf("%s: not a query string: %v", name, err)
	}
	return Payload{Name: name, Query: s, IsQuery: true}, nil
}

// LooksLikeQuery reports whether content read from a file or stdin is a
// query string rather than JSON: it does not start with '{' or '[' and
// holds a '='.
func LooksLikeQuery(content []byte) bool {
	t := bytes.TrimSpace(content)
	return len(t) > 0 && t[0] != '{' && t[0] != '[' && bytes.IndexByte(t, '=') >= 0
}

// Verdict is the result of validating one payload.
type Verdict struct {
	Payload  string               `json:"payload"`
	Valid    bool                 `json:"valid"`
	Event    string               `json:"event,omitempty"`
	Webhook  string               `json:"webhook,omitempty"`
	Method   string               `json:"method,omitempty"`
	Errors   []runtime.FieldError `json:"errors"`
	Warnings []runtime.FieldError `json:"warnings"`
}

// Validate checks p against the operations ops (all operations of the
// family when ops is empty) that accept its shape (JSON body or query) and
// reports the first that decodes it to an event. When none does, the
// errors are those of the candidate that came closest (a payload that
// matched an event but failed its schema beats one that matched none).
func (s *Spec) Validate(p Payload, ops []Operation, strict bool) Verdict {
	v := Verdict{Payload: p.Name, Errors: []runtime.FieldError{}, Warnings: []runtime.FieldError{}}
	if len(ops) == 0 {
		ops = s.Operations()
	}
	var best []runtime.FieldError
	var unhandled *Verdict
	bestRank := 99
	tried := 0
	for _, op := range ops {
		w := s.Webhook(op.Webhook)
		if w == nil {
			continue
		}
		if (w.Encoding[op.Method] == runtime.QueryParams) != p.IsQuery {
			continue
		}
		tried++
		ev, errs, rank := s.decode(w, op.Method, p, strict)
		if errs == nil && ev.Name == "" {
			// Lenient mode: well formed but of no known event. A receiver
			// acknowledges it as unhandled; keep looking for an operation
			// that knows the event.
			if unhandled == nil {
				u := v
				u.Valid, u.Webhook, u.Method = true, op.Webhook, op.Method
				u.Warnings = append(append([]runtime.FieldError{}, ev.Warnings...), runtime.FieldError{Rule: "x-hookgen-events",
					Message: "the payload matches no event of the operation: a lenient receiver acknowledges it as unhandled"})
				unhandled = &u
			}
			continue
		}
		if errs == nil {
			v.Valid, v.Event, v.Webhook, v.Method = true, ev.Name, op.Webhook, op.Method
			v.Warnings = append(v.Warnings, ev.Warnings...)
			return v
		}
		if rank < bestRank {
			best, bestRank = errs, rank
			v.Webhook, v.Method = op.Webhook, op.Method
		}
	}
	if tried == 0 {
		shape := "a JSON body"
		if p.IsQuery {
			shape = "a query string"
		}
		v.Errors = append(v.Errors, runtime.FieldError{Pointer: "", Rule: "operation",
			Message: fmt.Sprintf("no selected operation of %s accepts %s", s.Name(), shape)})
		return v
	}
	if unhandled != nil {
		return *unhandled
	}
	v.Errors = append(v.Errors, best...)
	return v
}

// decode runs one operation's decoder over p. rank orders failures: 0 a
// schema failure of a matched event, 1 no event matched, 2 not JSON at all.
func (s *Spec) decode(w *runtime.Webhook, method string, p Payload, strict bool) (runtime.Event, []runtime.FieldError, int) {
	req := &runtime.Request{Method: method, Path: w.Path, Header: map[string][]string{}}
	if p.IsQuery {
		q, err := url.ParseQuery(p.Query)
		if err != nil {
			return runtime.Event{}, []runtime.FieldError{{Rule: "syntax", Message: err.Error()}}, 2
		}
		req.Query = q
		body, err := w.QueryBody(req)
		if err != nil {
			return runtime.Event{}, fieldErrors(err, "query"), 0
		}
		req.Body = body
	} else {
		if max := s.Family.Delivery.Defaults().MaxBodyBytes; int64(len(p.Body)) > max {
			return runtime.Event{}, []runtime.FieldError{{Rule: "max-body-bytes",
				Message: fmt.Sprintf("body is %d bytes, over the limit of %d (the receiver answers 413)", len(p.Body), max)}}, 0
		}
		req.Raw, req.Body = p.Body, p.Body
	}
	ev, err := w.Decode(req, strict)
	if err == nil {
		return ev, nil, 0
	}
	if !strict && errors.Is(err, runtime.ErrUnknownEvent) {
		return runtime.Event{Warnings: ev.Warnings}, nil, 1
	}
	rank := 0
	if errors.Is(err, runtime.ErrUnknownEvent) {
		rank = 1
	}
	errs := fieldErrors(err, "x-hookgen-events")
	if len(errs) == 1 && errs[0].Rule == "syntax" {
		rank = 2
	}
	return runtime.Event{}, errs, rank
}

// fieldErrors turns a decode error into field errors; errors that are not
// a *runtime.ValidationError become one finding under rule.
func fieldErrors(err error, rule string) []runtime.FieldError {
	var ve *runtime.ValidationError
	if errors.As(err, &ve) && len(ve.Errors) > 0 {
		return ve.Errors
	}
	if errors.Is(err, runtime.ErrUnknownEvent) {
		return []runtime.FieldError{{Rule: "x-hookgen-events", Message: "the payload matches no event of the operation"}}
	}
	return []runtime.FieldError{{Rule: rule, Message: err.Error()}}
}

// FormatErrors renders findings as "pointer: message (rule); ...".
func FormatErrors(errs []runtime.FieldError) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}
