package specrun

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/dynamic"
)

// Spec is one OpenAPI document loaded as a dynamic family: validators are
// interpreted from the schemas, nothing is generated. It is immutable after
// Load and safe for concurrent use.
type Spec struct {
	// Path is the spec file.
	Path string
	// Family is the runtime description the receiver and sender use.
	Family *runtime.Family
	// Model is the meaning of the spec (webhooks, events, delivery).
	Model *dynamic.Spec

	doc *openapi3.T
	// opIDs maps an operationId to its webhook and method.
	opIDs map[string]Operation
}

// Operation names one method of one webhook.
type Operation struct {
	Webhook string
	Method  string
}

// Load loads and checks the spec at path and builds its dynamic family.
// path is an OpenAPI document, or a hookgen.yaml naming one (its overlay,
// family and per-webhook extensions apply, as for `hookgen generate
// -config`): that is how a third-party spec kept byte for byte is served.
func Load(ctx context.Context, path string) (*Spec, error) {
	cfg := dynamic.Config{Spec: path}
	if dynamic.IsConfigFile(path) {
		var err error
		if cfg, err = dynamic.ReadConfig(path); err != nil {
			return nil, fmt.Errorf("%w: %v", dynamic.ErrSpec, err)
		}
	}
	doc, err := dynamic.Load(ctx, cfg)
	if err != nil {
		return nil, err
	}
	model, err := dynamic.Build(doc, cfg.Family, "dynamic")
	if err != nil {
		return nil, err
	}
	fam, err := dynamic.Family(model)
	if err != nil {
		return nil, err
	}
	s := &Spec{Path: path, Family: fam, Model: model, doc: doc, opIDs: map[string]Operation{}}
	s.EachOperation(func(webhook, method string, op *openapi3.Operation) {
		if op.OperationID != "" {
			s.opIDs[op.OperationID] = Operation{Webhook: webhook, Method: method}
		}
	})
	return s, nil
}

// Name returns the family name.
func (s *Spec) Name() string { return s.Family.Name }

// webhook returns the family's webhook named name, or nil.
func (s *Spec) Webhook(name string) *runtime.Webhook {
	for i := range s.Family.Webhooks {
		if s.Family.Webhooks[i].Name == name {
			return &s.Family.Webhooks[i]
		}
	}
	return nil
}

// WebhookNames lists the family's webhooks in spec order.
func (s *Spec) WebhookNames() []string {
	out := make([]string, 0, len(s.Family.Webhooks))
	for _, w := range s.Family.Webhooks {
		out = append(out, w.Name)
	}
	return out
}

// Resolve turns a webhook name (spec key) or an operationId into the
// operations it names: every method of a webhook, or the one method of an
// operationId.
func (s *Spec) Resolve(name string) ([]Operation, error) {
	if op, ok := s.opIDs[name]; ok {
		return []Operation{op}, nil
	}
	if w := s.Webhook(name); w != nil {
		out := make([]Operation, 0, len(w.Methods))
		for _, m := range w.Methods {
			out = append(out, Operation{Webhook: w.Name, Method: m})
		}
		return out, nil
	}
	ids := make([]string, 0, len(s.opIDs))
	for id := range s.opIDs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return nil, fmt.Errorf("%s has no webhook or operationId %q (webhooks: %s; operationIds: %s)",
		s.Path, name, strings.Join(s.WebhookNames(), ", "), strings.Join(ids, ", "))
}

// Operations lists every operation of the family, webhooks in spec order and
// methods in the webhook's order.
func (s *Spec) Operations() []Operation {
	var out []Operation
	for _, w := range s.Family.Webhooks {
		for _, m := range w.Methods {
			out = append(out, Operation{Webhook: w.Name, Method: m})
		}
	}
	return out
}

// eachOperation calls fn for every operation of the document with the name
// of the model webhook it belongs to (skipping operations hookgen ignores).
func (s *Spec) EachOperation(fn func(webhook, method string, op *openapi3.Operation)) {
	for key, item := range s.doc.Webhooks {
		for method, op := range item.Operations() {
			if s.Webhook(key) != nil {
				fn(key, strings.ToUpper(method), op)
			}
		}
	}
	if s.doc.Paths == nil {
		return
	}
	for path, item := range s.doc.Paths.Map() {
		var name string
		for method, op := range item.Operations() {
			for _, cand := range []string{op.OperationID, path} {
				if cand != "" && s.Webhook(cand) != nil {
					name = cand
				}
			}
			_ = method
		}
		if name == "" {
			continue
		}
		for method, op := range item.Operations() {
			fn(name, strings.ToUpper(method), op)
		}
	}
}

// Vectors returns the payloads to replay for the spec: the family's test
// vectors from openapi/examples when the family is one of hookgen's own
// (its x-hookgen-family names an embedded family), else the request body
// examples the spec declares: valid, or invalid when the example violates
// its own schema (dynamic.CheckRequestExample).
func (s *Spec) Vectors() ([]openapi.Vector, error) {
	if slices.Contains(openapi.Families(), s.Name()) {
		return openapi.Vectors(s.Name())
	}
	var out []openapi.Vector
	s.EachOperation(func(webhook, method string, op *openapi3.Operation) {
		if op.RequestBody == nil || op.RequestBody.Value == nil {
			return
		}
		for ct, mt := range op.RequestBody.Value.Content {
			if !strings.Contains(ct, "json") {
				continue
			}
			add := func(name string, v any) {
				body, err := json.Marshal(v)
				if err != nil {
					return
				}
				verdict := openapi.VerdictValid
				if mt.Schema != nil && mt.Schema.Value != nil && dynamic.CheckRequestExample(s.doc, mt.Schema.Value, v) != nil {
					verdict = openapi.VerdictInvalid
				}
				out = append(out, openapi.Vector{Family: s.Name(), Name: name, Webhook: webhook, Method: method,
					ContentType: "application/json", Verdict: verdict, Body: body, Source: s.Path})
			}
			if mt.Example != nil {
				add(fmt.Sprintf("%s-%s-example", webhook, strings.ToLower(method)), mt.Example)
			}
			for name, ex := range mt.Examples {
				if ex != nil && ex.Value != nil && ex.Value.Value != nil {
					add(name, ex.Value.Value)
				}
			}
		}
	})
	slices.SortStableFunc(out, func(a, b openapi.Vector) int { return strings.Compare(a.Webhook+a.Name, b.Webhook+b.Name) })
	// The same example under several methods: keep one per name.
	out = slices.CompactFunc(out, func(a, b openapi.Vector) bool { return a.Name == b.Name })
	if len(out) == 0 {
		return nil, fmt.Errorf("%s declares no request body examples and family %q has no vectors in openapi/examples: pass -file or -example", s.Path, s.Name())
	}
	return out, nil
}

// CredentialHeaders lists the canonical names of the headers that carry a
// family's credentials: they are never recorded.
func CredentialHeaders(fam *runtime.Family) []string {
	out := []string{"Authorization", "Proxy-Authorization", "Cookie"}
	for _, sc := range fam.Schemes {
		if sc.In == "header" && sc.Param != "" {
			out = append(out, http.CanonicalHeaderKey(sc.Param))
		}
		if sc.Signature != nil && sc.Signature.Header != "" {
			out = append(out, http.CanonicalHeaderKey(sc.Signature.Header))
		}
	}
	return out
}
