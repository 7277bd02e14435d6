package dynamic

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/speakeasy-api/openapi/overlay/loader"
	"gopkg.in/yaml.v3"
)

// Config says which spec to load and how.
type Config struct {
	// Spec is the path of the OpenAPI document (required).
	Spec string
	// Overlay is the path of an OpenAPI Overlay 1.0 document applied to the
	// spec before anything else (for third-party specs that lack hookgen's
	// extensions).
	Overlay string
	// Family names the sender family; defaults to x-hookgen-family, then
	// "dynamic".
	Family string
	// Webhooks sets x-hookgen-* extensions per webhook (its key in
	// webhooks:, its path, or its operationId) without editing the spec.
	Webhooks map[string]WebhookConfig
	// OnWarning, when set, receives what Load accepts but reports: for
	// now, examples that violate their own schema (see ExampleWarnings).
	OnWarning func(Warning)
}

func (c Config) fallbackFamily() string { return "dynamic" }

// WebhookConfig is the overlay for one webhook: each field, when set,
// replaces the x-hookgen-* extension of the same name on every operation
// of the webhook.
type WebhookConfig struct {
	Path           string         `yaml:"path,omitempty" json:"path,omitempty"`
	Delivery       map[string]any `yaml:"delivery,omitempty" json:"delivery,omitempty"`
	IdempotencyKey []string       `yaml:"idempotency-key,omitempty" json:"idempotency-key,omitempty"`
	Ordering       map[string]any `yaml:"ordering,omitempty" json:"ordering,omitempty"`
	Events         []any          `yaml:"events,omitempty" json:"events,omitempty"`
}

// Load reads, overlays and validates the OpenAPI document of cfg. Relative
// $refs to sibling files are followed, percent-encoded fragments included;
// remote $refs are refused (a spec must not make hookgen fetch from the
// network). External component schemas are internalised so that every
// type lands in one namespace. An example that violates its own schema
// does not refuse the document: it is passed to cfg.OnWarning.
func Load(ctx context.Context, cfg Config) (*openapi3.T, error) {
	raw, err := os.ReadFile(cfg.Spec)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot read spec %s: %v", ErrSpec, cfg.Spec, err)
	}
	if err := checkRawKeywords(raw); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSpec, cfg.Spec, err)
	}
	doc, err := loadDocument(ctx, cfg.Spec, cfg.Overlay)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSpec, cfg.Spec, err)
	}
	if err := doc.Validate(ctx, openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("%w: %s is not a valid OpenAPI document: %v", ErrSpec, cfg.Spec, err)
	}
	if cfg.OnWarning != nil {
		for _, w := range ExampleWarnings(ctx, doc) {
			cfg.OnWarning(w)
		}
	}
	doc.InternalizeRefs(ctx, plainRefNames)
	if err := applyWebhookConfig(doc, cfg.Webhooks); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	return doc, nil
}

// newLoader returns a kin-openapi loader that follows $refs to local files
// and refuses every remote one.
func newLoader(ctx context.Context) *openapi3.Loader {
	l := openapi3.NewLoader()
	l.Context = ctx
	l.IsExternalRefsAllowed = true
	l.IncludeOrigin = true // source order, as oapi-codegen loads it
	l.ReadFromURIFunc = openapi3.URIMapCache(decodingRefs(openapi3.ReadFromURIs(refuseRemote, openapi3.ReadFromFile)))
	return l
}

func refuseRemote(_ *openapi3.Loader, location *url.URL) ([]byte, error) {
	if location.Scheme == "" || location.Host == "" {
		return nil, openapi3.ErrURINotSupported
	}
	doc := *location
	doc.Fragment, doc.RawFragment = "", ""
	return nil, fmt.Errorf("refusing to resolve remote reference %q: hookgen reads local files only", doc.String())
}

// loadDocument loads the file at path and, when overlayPath is set, applies
// the overlay (strictly: every action must match) and loads the result
// from the same location so that relative $refs resolve as before.
func loadDocument(ctx context.Context, path, overlayPath string) (*openapi3.T, error) {
	doc, err := newLoader(ctx).LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to load OpenAPI specification: %w", err)
	}
	if overlayPath == "" {
		return doc, nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("re-encode spec: %w", err)
	}
	var node yaml.Node
	if err := yaml.NewDecoder(&buf).Decode(&node); err != nil {
		return nil, fmt.Errorf("re-parse spec: %w", err)
	}
	ov, err := loader.LoadOverlay(overlayPath)
	if err != nil {
		return nil, fmt.Errorf("failed to load Overlay from %q: %v", overlayPath, err)
	}
	if err := ov.Validate(); err != nil {
		return nil, fmt.Errorf("the Overlay in %q was not valid: %v", overlayPath, err)
	}
	if vs, err := ov.ApplyToStrict(&node); err != nil {
		return nil, fmt.Errorf("failed to apply Overlay %q: %v\nAdditionally, the following validation errors were found:\n- %s", overlayPath, err, strings.Join(vs, "\n- "))
	}
	b, err := yaml.Marshal(&node)
	if err != nil {
		return nil, fmt.Errorf("serialise overlaid spec: %w", err)
	}
	doc, err = newLoader(ctx).LoadFromDataWithPath(b, &url.URL{Path: filepath.ToSlash(path)})
	if err != nil {
		return nil, fmt.Errorf("failed to load overlaid specification: %v", err)
	}
	return doc, nil
}

// applyWebhookConfig is the config file's own overlay: it sets x-hookgen-*
// extensions on the operations of the named webhooks.
func applyWebhookConfig(doc *openapi3.T, cfgs map[string]WebhookConfig) error {
	for name, wc := range cfgs {
		found := false
		for _, w := range PathItems(doc) {
			match := w.Key == name || w.Path == name
			for _, op := range w.Item.Operations() {
				if op.OperationID == name {
					match = true
				}
			}
			if !match {
				continue
			}
			found = true
			for _, op := range w.Item.Operations() {
				setWebhookConfig(op, wc)
			}
		}
		if !found {
			return fmt.Errorf("config webhooks.%s: no webhook, path or operationId of that name in the spec", name)
		}
	}
	return nil
}

func setWebhookConfig(op *openapi3.Operation, wc WebhookConfig) {
	if op.Extensions == nil {
		op.Extensions = map[string]any{}
	}
	set := func(k string, v any, ok bool) {
		if ok {
			op.Extensions[k] = v
		}
	}
	set(ExtPath, wc.Path, wc.Path != "")
	set(ExtDelivery, wc.Delivery, wc.Delivery != nil)
	set(ExtKey, toAnySlice(wc.IdempotencyKey), wc.IdempotencyKey != nil)
	set(ExtOrdering, wc.Ordering, wc.Ordering != nil)
	set(ExtEvents, wc.Events, wc.Events != nil)
}

func toAnySlice(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// plainRefNames names an internalised component after its own name in the
// file it came from ("Envelope", not "WebhookEnvelope"), falling back to
// kin-openapi's file-prefixed name only when the plain name is taken.
func plainRefNames(doc *openapi3.T, ref openapi3.ComponentRef) string {
	name := refName(ref.RefString())
	if name == "" || componentTaken(doc, ref, name) || strings.ContainsAny(name, "~%") {
		return openapi3.DefaultRefNameResolver(doc, ref)
	}
	return name
}

func componentTaken(doc *openapi3.T, ref openapi3.ComponentRef, name string) bool {
	if doc.Components == nil {
		return false
	}
	c := doc.Components
	taken := false
	switch ref.CollectionName() {
	case "schemas":
		var have *openapi3.SchemaRef
		have, taken = c.Schemas[name]
		// The same schema met again (InternalizeRefs resolves a
		// discriminator mapping after the union member it names): same
		// name, not a collision.
		if taken && have != nil && have.Value != nil && have.Value == schemaOf(ref) {
			taken = false
		}
	case "parameters":
		_, taken = c.Parameters[name]
	case "requestBodies":
		_, taken = c.RequestBodies[name]
	case "responses":
		_, taken = c.Responses[name]
	case "securitySchemes":
		_, taken = c.SecuritySchemes[name]
	case "headers":
		_, taken = c.Headers[name]
	case "examples":
		_, taken = c.Examples[name]
	default:
		taken = true
	}
	return taken
}

// schemaOf returns the schema a component reference resolves to, if any.
func schemaOf(ref openapi3.ComponentRef) *openapi3.Schema {
	if r, ok := ref.(*openapi3.SchemaRef); ok {
		return r.Value
	}
	return nil
}
