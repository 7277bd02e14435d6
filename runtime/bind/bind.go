// Package bind turns a declarative description of a spec's webhooks (what
// the generator emits, or what `hookgen serve` reads from a spec at run time)
// into runtime.Webhook values: event selection by runtime expressions,
// idempotency keys, lifecycle ordering and query decoding. It is the thick
// runtime behind thin generated code.
package bind

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/expr"
	"github.com/hookgen/hookgen/runtime/query"
	"github.com/hookgen/hookgen/runtime/schema"
)

// Event binds one typed event of an operation.
type Event struct {
	// Name is the event (and Handler method) name.
	Name string
	// Match selects the event: every runtime expression's value must be one
	// of the listed values. Empty matches everything (a fallback).
	Match map[string][]string
	// Key overrides the operation's idempotency key expressions.
	Key []string
	// Decode validates doc, the body parsed once by schema.Parse, and
	// decodes body into the event's typed payload (generated code passes
	// schema.DecodeDocument[T] with its validator).
	Decode func(doc any, body []byte, strict bool) (runtime.Event, error)
}

// Ordering is the parsed x-hookgen-ordering extension.
type Ordering struct {
	// Entity, Version and Event are runtime expressions.
	Entity, Version, Event string
	// Terminal lists the Event values that end a lifecycle.
	Terminal []string
}

// Operation binds one or more HTTP methods of a webhook that take the same
// payloads the same way (NetPulse's five methods all carry one JSON body).
type Operation struct {
	// Methods are the HTTP methods bound, upper case.
	Methods []string
	// Query, when non-nil, says the payload comes from query parameters
	// (x-hookgen-body-from: query) with these field mappings.
	Query []query.Field
	// Validate checks the whole request body against the operation's body
	// schema; it decides between "invalid" and "unknown event" when no
	// event matches.
	Validate schema.ValidateFunc
	// Events are tried in order; the first match wins.
	Events []Event
	// Key is the operation's idempotency key (runtime expressions).
	// Empty means the content hash of the body.
	Key []string
	// Ordering is nil when the operation is not ordered.
	Ordering *Ordering
	// Security is the operation's own security requirements (its
	// `security`); runtime.PublicSecurity() for `security: []`. Nil means
	// the operation uses the family's (the spec's root `security`).
	Security []runtime.SecurityRequirement
}

// Webhook binds one receivable webhook.
type Webhook struct {
	// Name is the webhook's key in the spec.
	Name string
	// Path is the default mount path.
	Path string
	// ContentTypes lists accepted media types (default application/json).
	ContentTypes []string
	// Operations, one per method.
	Operations []Operation
}

type boundEvent struct {
	Event
	match expr.Match
	key   expr.List
	hasK  bool
}

type boundOp struct {
	Operation
	events []boundEvent
	key    expr.List
	entity expr.Expr
	ver    expr.Expr
	event  expr.Expr
	hasVer bool
	hasEv  bool
	term   map[string]bool
}

// Build compiles w into a runtime.Webhook. It fails when an expression does
// not parse or the description is inconsistent.
func Build(w Webhook) (runtime.Webhook, error) {
	if w.Path == "" || !strings.HasPrefix(w.Path, "/") {
		return runtime.Webhook{}, fmt.Errorf("bind: webhook %q: path %q must start with /", w.Name, w.Path)
	}
	ops := make(map[string]*boundOp, len(w.Operations))
	out := runtime.Webhook{
		Name:         w.Name,
		Path:         w.Path,
		ContentTypes: w.ContentTypes,
		Encoding:     map[string]runtime.Encoding{},
	}
	if len(out.ContentTypes) == 0 {
		out.ContentTypes = []string{"application/json"}
	}
	for _, op := range w.Operations {
		if len(op.Methods) == 0 {
			return runtime.Webhook{}, fmt.Errorf("bind: webhook %q: an operation binds no method", w.Name)
		}
		b, err := bindOp(op)
		if err != nil {
			return runtime.Webhook{}, fmt.Errorf("bind: webhook %q %s: %w", w.Name, strings.Join(op.Methods, ","), err)
		}
		for _, m := range op.Methods {
			m = strings.ToUpper(m)
			if _, dup := ops[m]; dup {
				return runtime.Webhook{}, fmt.Errorf("bind: webhook %q: method %s bound twice", w.Name, m)
			}
			ops[m] = b
			out.Methods = append(out.Methods, m)
			if op.Security != nil {
				if out.Security == nil {
					out.Security = map[string][]runtime.SecurityRequirement{}
				}
				out.Security[m] = op.Security
			}
			if op.Query != nil {
				out.Encoding[m] = runtime.QueryParams
				out.Query = op.Query
			} else {
				out.Encoding[m] = runtime.JSONBody
			}
		}
	}
	if out.Query != nil {
		fields := out.Query
		out.QueryBody = func(req *runtime.Request) ([]byte, error) { return query.ToJSON(req.Query, fields) }
	}
	out.Decode = func(req *runtime.Request, strict bool) (runtime.Event, error) {
		op := ops[req.Method]
		if op == nil {
			return runtime.Event{}, runtime.ErrMethodNotAllowed
		}
		return op.decode(req, strict)
	}
	out.Key = func(req *runtime.Request, ev runtime.Event) (string, error) {
		op := ops[req.Method]
		if op == nil {
			return "", runtime.ErrMethodNotAllowed
		}
		return op.keyFor(req, ev)
	}
	ordered := false
	for _, op := range ops {
		ordered = ordered || op.Ordering != nil
	}
	if ordered {
		out.Order = func(req *runtime.Request, ev runtime.Event) (runtime.Position, bool, error) {
			op := ops[req.Method]
			if op == nil || op.Ordering == nil {
				return runtime.Position{}, false, nil
			}
			return op.position(req)
		}
	}
	return out, nil
}

func bindOp(op Operation) (*boundOp, error) {
	b := &boundOp{Operation: op}
	var err error
	if b.key, err = expr.ParseList(op.Key); err != nil {
		return nil, fmt.Errorf("idempotency key: %w", err)
	}
	for _, e := range op.Events {
		be := boundEvent{Event: e}
		if e.Decode == nil {
			return nil, fmt.Errorf("event %s: no decoder", e.Name)
		}
		if be.match, err = expr.ParseMatch(e.Match); err != nil {
			return nil, fmt.Errorf("event %s match: %w", e.Name, err)
		}
		if len(e.Key) > 0 {
			be.hasK = true
			if be.key, err = expr.ParseList(e.Key); err != nil {
				return nil, fmt.Errorf("event %s key: %w", e.Name, err)
			}
		}
		b.events = append(b.events, be)
	}
	if o := op.Ordering; o != nil {
		if b.entity, err = expr.Parse(o.Entity); err != nil {
			return nil, fmt.Errorf("ordering entity: %w", err)
		}
		if o.Version != "" {
			b.hasVer = true
			if b.ver, err = expr.Parse(o.Version); err != nil {
				return nil, fmt.Errorf("ordering version: %w", err)
			}
		}
		if o.Event != "" {
			b.hasEv = true
			if b.event, err = expr.Parse(o.Event); err != nil {
				return nil, fmt.Errorf("ordering event: %w", err)
			}
		}
		b.term = make(map[string]bool, len(o.Terminal))
		for _, t := range o.Terminal {
			b.term[t] = true
		}
	}
	return b, nil
}

// decode parses the body once into req.Document, which event selection,
// the idempotency key and the ordering read from then on, and decodes the
// event the first matching binding names.
func (b *boundOp) decode(req *runtime.Request, strict bool) (runtime.Event, error) {
	doc, fe := schema.Parse(req.Body)
	if fe != nil {
		return runtime.Event{}, &runtime.ValidationError{Errors: []runtime.FieldError{*fe}}
	}
	req.Document = doc
	for i := range b.events {
		e := &b.events[i]
		ok, err := e.match.Eval(req)
		if err != nil {
			return runtime.Event{}, asValidation(err)
		}
		if ok {
			return e.Decode(doc, req.Body, strict)
		}
	}
	// No event matched: the payload is either invalid (400) or valid but of
	// an event this spec does not know (lenient: acknowledged, unhandled).
	if b.Validate != nil {
		warnings, err := schema.CheckValue(doc, strict, b.Validate)
		if err != nil {
			return runtime.Event{}, err
		}
		return runtime.Event{Warnings: warnings}, runtime.ErrUnknownEvent
	}
	return runtime.Event{}, runtime.ErrUnknownEvent
}

// asValidation reports an expression that could not read the parsed body
// (an object where a scalar was expected, say) as a validation finding.
func asValidation(err error) error {
	var ve *runtime.ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	return &runtime.ValidationError{Errors: []runtime.FieldError{{Rule: "syntax", Message: err.Error()}}}
}

func (b *boundOp) keyFor(req *runtime.Request, ev runtime.Event) (string, error) {
	for i := range b.events {
		if b.events[i].Name == ev.Name && b.events[i].hasK {
			return b.events[i].key.Key(req)
		}
	}
	if len(b.key) == 0 {
		return ContentKey(req.Body), nil
	}
	return b.key.Key(req)
}

func (b *boundOp) position(req *runtime.Request) (runtime.Position, bool, error) {
	ent, ok, err := b.entity.Eval(req)
	if err != nil || !ok {
		return runtime.Position{}, false, err
	}
	pos := runtime.Position{Entity: ent.String()}
	if b.hasVer {
		if v, ok, err := b.ver.Eval(req); err != nil {
			return runtime.Position{}, false, err
		} else if ok {
			pos.Version, pos.HasVersion = v.Int64()
		}
	}
	if b.hasEv {
		if v, ok, err := b.event.Eval(req); err != nil {
			return runtime.Position{}, false, err
		} else if ok {
			pos.Terminal = b.term[v.String()]
		}
	}
	return pos, true, nil
}

// ContentKey is the idempotency key of a delivery whose spec declares none:
// "sha256:" and the hex SHA-256 of the payload document, so that identical
// payloads are deduplicated and different ones never are.
func ContentKey(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}
