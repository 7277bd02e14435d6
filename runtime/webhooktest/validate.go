package webhooktest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/query"
)

// Option configures one validation.
type Option func(*validateConfig)

type validateConfig struct {
	strict bool
	method string
}

// Strict validates in strict mode (what `hookgen validate` and CI use):
// unknown enum and discriminator values, malformed formats and unknown
// events are errors. Default: lenient, the production mode, where they are
// warnings and an unknown event is acknowledged.
func Strict() Option { return func(c *validateConfig) { c.strict = true } }

// Method validates the payload as sent with method m (upper or lower
// case). Default: for a query payload the webhook's first query-encoded
// method; otherwise the event's default method (event targets) or the
// webhook's first JSON-body method.
func Method(m string) Option {
	return func(c *validateConfig) { c.method = strings.ToUpper(m) }
}

// Report is the outcome of one validation.
type Report struct {
	// Webhook and Method are the operation the payload was validated
	// against.
	Webhook, Method string
	// Event is the event the payload selects ("" when it selects none).
	Event string
	// Strict reports whether strict mode was used.
	Strict bool
	// Valid reports whether a receiver in the same mode accepts the payload.
	Valid bool
	// Unknown reports that the payload is well formed but names no event
	// of the webhook: a lenient receiver acknowledges it as unhandled.
	Unknown bool
	// Errors are the findings that make the payload invalid, each naming
	// its JSON pointer and rule.
	Errors []runtime.FieldError
	// Warnings are lenient-mode findings (unknown enum values, malformed
	// formats) that do not make the payload invalid.
	Warnings []runtime.FieldError
	// Body is the JSON document validated (for a query payload: the
	// document the receiver builds from it).
	Body []byte
	// Payload is the decoded payload (*map[string]any) of a valid payload.
	Payload any
}

// Err returns the findings as a *runtime.ValidationError, or nil when the
// payload is valid.
func (r *Report) Err() error {
	if r == nil || r.Valid {
		return nil
	}
	return &runtime.ValidationError{Errors: r.Errors}
}

// Has reports whether an error names pointer (or, with rule non-empty,
// pointer and rule).
func (r *Report) Has(pointer, rule string) bool {
	for _, e := range r.Errors {
		if e.Pointer == pointer && (rule == "" || e.Rule == rule) {
			return true
		}
	}
	return false
}

// Pointers lists the JSON pointers of the errors, in order.
func (r *Report) Pointers() []string {
	out := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		out[i] = e.Pointer
	}
	return out
}

// String describes the report on one line per finding.
func (r *Report) String() string {
	var b strings.Builder
	mode := "lenient"
	if r.Strict {
		mode = "strict"
	}
	verdict := "valid"
	if !r.Valid {
		verdict = "invalid"
	}
	fmt.Fprintf(&b, "%s %s (%s): %s", r.Method, r.Webhook, mode, verdict)
	if r.Event != "" {
		fmt.Fprintf(&b, ", event %s", r.Event)
	}
	if r.Unknown {
		b.WriteString(", unknown event")
	}
	for _, e := range r.Errors {
		b.WriteString("\n  error ")
		b.WriteString(e.Error())
	}
	for _, e := range r.Warnings {
		b.WriteString("\n  warning ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Validate validates payload against target, which names an event (a
// Handler method name such as "NotificationOpened") or a webhook (its key
// under webhooks:, or its path). A payload validated against an event must
// select that event. The payload is a []byte, string or json.RawMessage
// holding the JSON document, a File, a Query, or any value, which is
// JSON-marshalled.
//
// An invalid payload is not an error: the Report says why. Validate fails
// only when the target or method is unknown or the payload cannot be read.
func (k *Kit) Validate(target string, p any, opts ...Option) (*Report, error) {
	cfg := validateConfig{}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	pl, err := resolve(p)
	if err != nil {
		return nil, err
	}
	w, ev, method, err := k.operation(target, cfg.method, pl.isQuery)
	if err != nil {
		return nil, err
	}
	rep := &Report{Webhook: w.Name, Method: method, Strict: cfg.strict}
	req := &runtime.Request{Method: method, Path: w.Path, Header: map[string][]string{}, Raw: pl.body, Body: pl.body}
	if w.Encoding[method] == runtime.QueryParams {
		if !pl.isQuery {
			return nil, fmt.Errorf("webhooktest: %s %s takes a query: pass the payload as webhooktest.Query", method, w.Name)
		}
		if req.Query, err = query.Parse(pl.query); err != nil {
			return nil, fmt.Errorf("webhooktest: payload query: %w", err)
		}
		req.Raw = nil
		if req.Body, err = w.QueryBody(req); err != nil {
			return rep.fail(err)
		}
	} else if pl.isQuery {
		return nil, fmt.Errorf("webhooktest: %s %s takes a JSON body, not a query", method, w.Name)
	}
	rep.Body = req.Body
	got, err := w.Decode(req, cfg.strict)
	rep.Event, rep.Warnings, rep.Payload = got.Name, got.Warnings, got.Payload
	switch {
	case errors.Is(err, runtime.ErrUnknownEvent):
		rep.Unknown = true
		if cfg.strict || ev != "" {
			rep.Errors = append(rep.Errors, runtime.FieldError{Rule: "event", Message: "the payload names no event of webhook " + w.Name})
		}
	case err != nil:
		return rep.fail(err)
	case ev != "" && got.Name != ev:
		rep.Errors = append(rep.Errors, runtime.FieldError{Rule: "event", Message: fmt.Sprintf("the payload selects event %s, not %s", got.Name, ev)})
	}
	rep.Valid = len(rep.Errors) == 0
	if !rep.Valid {
		rep.Payload = nil
	}
	return rep, nil
}

// fail records a decoding error as the report's findings.
func (r *Report) fail(err error) (*Report, error) {
	var ve *runtime.ValidationError
	switch {
	case errors.As(err, &ve):
		r.Errors = append(r.Errors, ve.Errors...)
	case errors.Is(err, runtime.ErrInvalidPayload):
		r.Errors = append(r.Errors, runtime.FieldError{Rule: "invalid", Message: err.Error()})
	default:
		return nil, fmt.Errorf("webhooktest: %s %s: %w", r.Method, r.Webhook, err)
	}
	if len(r.Errors) == 0 {
		r.Errors = append(r.Errors, runtime.FieldError{Rule: "invalid", Message: err.Error()})
	}
	return r, nil
}

// operation resolves a target and method to a webhook, the event it must
// select ("" for webhook targets) and the method.
func (k *Kit) operation(target, method string, isQuery bool) (*runtime.Webhook, string, string, error) {
	var w *runtime.Webhook
	var candidates []string
	event := ""
	if e := k.event(target); e != nil {
		w, event = k.webhook(e.Webhook), e.Name
		candidates = append([]string{e.Method}, e.Methods...)
	} else if w = k.webhook(target); w != nil {
		candidates = w.Methods
	}
	if w == nil {
		return nil, "", "", fmt.Errorf("webhooktest: %s has no event or webhook %q (have %s)", k.spec, target, k.targets())
	}
	if method != "" {
		if w.Encoding[method] == 0 {
			return nil, "", "", fmt.Errorf("webhooktest: webhook %s does not accept %s (accepts %s)", w.Name, method, strings.Join(w.Methods, ", "))
		}
		return w, event, method, nil
	}
	want := runtime.JSONBody
	if isQuery {
		want = runtime.QueryParams
	}
	for _, m := range candidates {
		if m = strings.ToUpper(m); w.Encoding[m] == want {
			return w, event, m, nil
		}
	}
	kind := "a JSON body"
	if isQuery {
		kind = "a query"
	}
	return nil, "", "", fmt.Errorf("webhooktest: %s takes no %s with any method", target, kind)
}

// RequireValid validates payload against target (see Validate) and fails
// the test at once, listing every finding, unless a receiver in the same
// mode accepts it. It returns the report.
func (k *Kit) RequireValid(t require.TestingT, target string, p any, opts ...Option) *Report {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	rep, err := k.Validate(target, p, opts...)
	require.NoError(t, err)
	if !rep.Valid {
		t.Errorf("webhooktest: payload is not valid against %s:\n%s", target, rep)
		t.FailNow()
	}
	return rep
}

// RequireInvalid validates payload against target (see Validate) and fails
// the test at once unless it is invalid with an error at pointer (any
// error when pointer is "-"; "" is the document root). It returns the
// report.
func (k *Kit) RequireInvalid(t require.TestingT, target string, p any, pointer string, opts ...Option) *Report {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	rep, err := k.Validate(target, p, opts...)
	require.NoError(t, err)
	switch {
	case rep.Valid:
		t.Errorf("webhooktest: payload is valid against %s, want an error at %q:\n%s", target, pointer, rep)
		t.FailNow()
	case pointer != "-" && !rep.Has(pointer, ""):
		t.Errorf("webhooktest: payload is invalid against %s but no error is at %q (errors at %q):\n%s", target, pointer, rep.Pointers(), rep)
		t.FailNow()
	}
	return rep
}

// Validate loads spec and validates payload against target (see
// Kit.Validate). It loads the spec on every call: keep a Kit from Load to
// validate many payloads.
func Validate(spec, target string, p any, opts ...Option) (*Report, error) {
	k, err := Load(spec)
	if err != nil {
		return nil, err
	}
	return k.Validate(target, p, opts...)
}

// RequireValid loads spec and calls Kit.RequireValid.
func RequireValid(t require.TestingT, spec, target string, p any, opts ...Option) *Report {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	k, err := Load(spec)
	require.NoError(t, err)
	return k.RequireValid(t, target, p, opts...)
}

// RequireInvalid loads spec and calls Kit.RequireInvalid.
func RequireInvalid(t require.TestingT, spec, target string, p any, pointer string, opts ...Option) *Report {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	k, err := Load(spec)
	require.NoError(t, err)
	return k.RequireInvalid(t, target, p, pointer, opts...)
}
