package dynamic

import (
	"context"
	"fmt"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/bind"
	"github.com/hookgen/hookgen/runtime/query"
	"github.com/hookgen/hookgen/runtime/schema"
)

// Payload is the type dynamic families decode payloads into.
type Payload = map[string]any

// Family builds the runtime description of a spec with no code generated:
// the same event selection, keys, ordering and security as generated code,
// with validators interpreted from the schemas (same semantics as the
// compiled ones). Payloads decode to *Payload.
func Family(s *Spec) (*runtime.Family, error) {
	it := newInterpreter(s.Doc)
	fam := &runtime.Family{
		Name: s.Family,
		Delivery: runtime.DeliveryPolicy{
			Mode:              s.Delivery.Mode,
			SuccessStatus:     s.Delivery.SuccessStatus,
			AuthFailureStatus: s.Delivery.AuthFailureStatus,
			MaxBodyBytes:      s.Delivery.MaxBodyBytes,
		},
	}
	for _, r := range s.Security {
		fam.Security = append(fam.Security, runtime.SecurityRequirement(r))
	}
	if len(s.Schemes) > 0 {
		fam.Schemes = map[string]runtime.SecurityScheme{}
	}
	for _, sc := range s.Schemes {
		fam.Schemes[sc.Name] = securityScheme(sc)
	}
	for _, w := range s.Webhooks {
		rw, err := bind.Build(bindWebhook(it, w))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSpec, err)
		}
		fam.Webhooks = append(fam.Webhooks, rw)
	}
	return fam, nil
}

func securityScheme(s Scheme) runtime.SecurityScheme {
	rs := runtime.SecurityScheme{Name: s.Name, Kind: s.Kind, In: s.In, Param: s.Param}
	if g := s.Sig; g != nil {
		rs.Signature = &runtime.SignatureSpec{Format: g.Format, Header: g.Header, Algorithm: g.Algorithm, Encoding: g.Encoding, Prefix: g.Prefix, IDHeader: g.IDHeader, TimestampHeader: g.TimestampHeader, Tolerance: g.ToleranceDuration}
	}
	return rs
}

func bindWebhook(it *interpreter, w *Webhook) bind.Webhook {
	bw := bind.Webhook{Name: w.Name, Path: w.Path, ContentTypes: w.ContentTypes}
	for _, o := range w.Operations {
		bo := bind.Operation{Methods: o.Methods, Key: o.Key}
		if o.OwnSecurity {
			for _, r := range o.Security {
				bo.Security = append(bo.Security, runtime.SecurityRequirement(r))
			}
		}
		if o.IsQuery {
			bo.Query = []query.Field{}
			for _, q := range o.Query {
				bo.Query = append(bo.Query, query.Field{Query: q.Query, Property: q.Property, Type: q.Type, Nullable: q.Nullable})
			}
		}
		if o.Body != nil {
			bo.Validate = it.fn(o.Body)
		}
		if o.Ordering != nil {
			bo.Ordering = &bind.Ordering{Entity: o.Ordering.Entity, Version: o.Ordering.Version, Event: o.Ordering.Event, Terminal: o.Ordering.Terminal}
		}
		for _, e := range o.Events {
			bo.Events = append(bo.Events, bindEvent(it, e))
		}
		bw.Operations = append(bw.Operations, bo)
	}
	return bw
}

func bindEvent(it *interpreter, e *OpEvent) bind.Event {
	name, validate := e.Event.Name, it.fn(e.Event.Schema)
	be := bind.Event{Name: name, Key: e.Key, Decode: func(doc any, body []byte, strict bool) (runtime.Event, error) {
		return schema.DecodeDocument[Payload](doc, body, strict, name, validate)
	}}
	if len(e.Match) > 0 {
		be.Match = map[string][]string{}
		for _, me := range e.Match {
			be.Match[me.Expr] = me.Values
		}
	}
	return be
}

// Loaded is a spec loaded for running without generated code: the
// document's meanings and the runtime family interpreting them.
type Loaded struct {
	// Spec is the meaning of the document.
	Spec *Spec
	// Family is the runtime family (payloads decode to *Payload).
	Family *runtime.Family
}

// LoadFamily loads the spec of cfg (see Load), builds its meanings and its
// runtime family.
func LoadFamily(ctx context.Context, cfg Config) (*Loaded, error) {
	doc, err := Load(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s, err := Build(doc, cfg.Family, cfg.fallbackFamily())
	if err != nil {
		return nil, err
	}
	fam, err := Family(s)
	if err != nil {
		return nil, err
	}
	return &Loaded{Spec: s, Family: fam}, nil
}
