package generator

import (
	"context"
	"fmt"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/bind"
	"github.com/hookgen/hookgen/runtime/query"
	"github.com/hookgen/hookgen/runtime/schema"
)

// Payload is the type dynamic families decode payloads into.
type Payload = map[string]any

// DynamicFamily builds the runtime description of a loaded spec with no code
// generated: the same model, event selection, keys, ordering and security
// as generated code, with validators interpreted from the schemas (same
// semantics as the compiled ones). Payloads decode to *Payload. It is what
// `hookgen serve`, `hookgen validate` and `hookgen send` run on.
func DynamicFamily(doc *openapi3.T, cfg Config) (*runtime.Family, *Model, error) {
	if cfg.Package == "" {
		cfg.Package = "dynamic"
	}
	m, err := BuildModel(doc, cfg)
	if err != nil {
		return nil, nil, err
	}
	it := newInterpreter(doc)
	mode, _ := runtime.ParseDeliveryMode(m.Delivery.ModeName)
	fam := &runtime.Family{
		Name: m.Family,
		Delivery: runtime.DeliveryPolicy{
			Mode:              mode,
			SuccessStatus:     m.Delivery.SuccessStatus,
			AuthFailureStatus: m.Delivery.AuthFailureStatus,
			MaxBodyBytes:      m.Delivery.MaxBodyBytes,
		},
	}
	for _, r := range m.Security {
		fam.Security = append(fam.Security, runtime.SecurityRequirement(r))
	}
	if len(m.Schemes) > 0 {
		fam.Schemes = map[string]runtime.SecurityScheme{}
	}
	kinds := map[string]runtime.SchemeKind{"runtime.APIKey": runtime.APIKey, "runtime.Basic": runtime.Basic, "runtime.Bearer": runtime.Bearer, "runtime.Signature": runtime.Signature}
	for _, s := range m.Schemes {
		rs := runtime.SecurityScheme{Name: s.Name, Kind: kinds[s.Kind], In: s.In, Param: s.Param}
		if s.Sig != nil {
			var tol time.Duration
			if s.Sig.Tolerance != "" {
				if tol, err = time.ParseDuration(s.Sig.Tolerance); err != nil {
					return nil, nil, fmt.Errorf("%w: securitySchemes.%s tolerance: %v", ErrSpec, s.Name, err)
				}
			}
			rs.Signature = &runtime.SignatureSpec{Format: s.Sig.Format, Header: s.Sig.Header, Algorithm: s.Sig.Algorithm, Encoding: s.Sig.Encoding, Prefix: s.Sig.Prefix, IDHeader: s.Sig.IDHeader, TimestampHeader: s.Sig.TimestampHeader, Tolerance: tol}
		}
		fam.Schemes[s.Name] = rs
	}
	for _, w := range m.Webhooks {
		bw := bind.Webhook{Name: w.Name, Path: w.Path, ContentTypes: w.ContentTypes}
		for _, o := range w.Operations {
			bo := bind.Operation{Methods: o.Methods, Key: o.Key}
			if o.IsQuery {
				bo.Query = []query.Field{}
				for _, q := range o.Query {
					bo.Query = append(bo.Query, query.Field{Query: q.Query, Property: q.Property, Type: q.Type, Nullable: q.Nullable})
				}
			}
			if o.bodyRef != nil {
				bo.Validate = it.fn(o.bodyRef)
			}
			if o.Ordering != nil {
				bo.Ordering = &bind.Ordering{Entity: o.Ordering.Entity, Version: o.Ordering.Version, Event: o.Ordering.Event, Terminal: o.Ordering.Terminal}
			}
			for _, e := range o.Events {
				name, validate := e.Event.Name, it.fn(e.Event.schemaRef)
				be := bind.Event{Name: name, Key: e.Key, Decode: func(body []byte, strict bool) (runtime.Event, error) {
					return schema.Decode[Payload](body, strict, name, validate)
				}}
				if len(e.Match) > 0 {
					be.Match = map[string][]string{}
					for _, me := range e.Match {
						be.Match[me.Expr] = me.Values
					}
				}
				bo.Events = append(bo.Events, be)
			}
			bw.Operations = append(bw.Operations, bo)
		}
		rw, err := bind.Build(bw)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrSpec, err)
		}
		fam.Webhooks = append(fam.Webhooks, rw)
	}
	return fam, m, nil
}

// LoadDynamic loads the spec of cfg and builds its dynamic family.
func LoadDynamic(ctx context.Context, cfg Config) (*runtime.Family, *Model, error) {
	doc, err := Load(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return DynamicFamily(doc, cfg)
}
