package generator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/util"
)

// ErrSpec marks errors about the input document (unreadable, invalid, or
// using a construct hookgen does not support); the CLI reports them with
// the spec's path and exits 1.
var ErrSpec = errors.New("spec error")

// Load reads, overlays and validates the OpenAPI document of cfg. Relative
// $refs to sibling files are followed; remote $refs are refused (a spec must
// not make the generator fetch from the network). External component schemas
// are internalised so that every type lands in the one generated package.
func Load(ctx context.Context, cfg Config) (*openapi3.T, error) {
	raw, err := os.ReadFile(cfg.Spec)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot read spec %s: %v", ErrSpec, cfg.Spec, err)
	}
	if err := checkRawKeywords(raw); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSpec, cfg.Spec, err)
	}
	doc, err := util.LoadSwaggerWithOverlay(cfg.Spec, util.LoadSwaggerWithOverlayOpts{
		Path:                cfg.Overlay,
		Strict:              true,
		AllowRemoteRefsFrom: []string{},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSpec, cfg.Spec, err)
	}
	if err := doc.Validate(ctx, openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("%w: %s is not a valid OpenAPI document: %v", ErrSpec, cfg.Spec, err)
	}
	doc.InternalizeRefs(ctx, plainRefNames)
	if err := applyWebhookConfig(doc, cfg.Webhooks); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	return doc, nil
}

// applyWebhookConfig is the config file's own overlay: it sets x-hookgen-*
// extensions on the operations of the named webhooks.
func applyWebhookConfig(doc *openapi3.T, cfgs map[string]WebhookConfig) error {
	for name, wc := range cfgs {
		found := false
		for _, w := range collectPathItems(doc) {
			match := w.key == name || w.path == name
			for _, op := range w.item.Operations() {
				if op.OperationID == name {
					match = true
				}
			}
			if !match {
				continue
			}
			found = true
			for _, op := range w.item.Operations() {
				if op.Extensions == nil {
					op.Extensions = map[string]any{}
				}
				set := func(k string, v any, ok bool) {
					if ok {
						op.Extensions[k] = v
					}
				}
				set(extPath, wc.Path, wc.Path != "")
				set(extDelivery, wc.Delivery, wc.Delivery != nil)
				set(extKey, toAnySlice(wc.IdempotencyKey), wc.IdempotencyKey != nil)
				set(extOrdering, wc.Ordering, wc.Ordering != nil)
				set(extEvents, wc.Events, wc.Events != nil)
			}
		}
		if !found {
			return fmt.Errorf("config webhooks.%s: no webhook, path or operationId of that name in the spec", name)
		}
	}
	return nil
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
	name := ref.RefString()
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	taken := false
	if doc.Components != nil {
		switch ref.CollectionName() {
		case "schemas":
			var have *openapi3.SchemaRef
			have, taken = doc.Components.Schemas[name]
			// The same schema met again (InternalizeRefs resolves a
			// discriminator mapping after the union member it names):
			// same name, not a collision.
			if taken && have != nil && have.Value != nil && have.Value == schemaOf(ref) {
				taken = false
			}
		case "parameters":
			_, taken = doc.Components.Parameters[name]
		case "requestBodies":
			_, taken = doc.Components.RequestBodies[name]
		case "responses":
			_, taken = doc.Components.Responses[name]
		case "securitySchemes":
			_, taken = doc.Components.SecuritySchemes[name]
		case "headers":
			_, taken = doc.Components.Headers[name]
		case "examples":
			_, taken = doc.Components.Examples[name]
		default:
			taken = true
		}
	}
	if name == "" || taken || strings.ContainsAny(name, "~%") {
		return openapi3.DefaultRefNameResolver(doc, ref)
	}
	return name
}

// schemaOf returns the schema a component reference resolves to, if any.
func schemaOf(ref openapi3.ComponentRef) *openapi3.Schema {
	switch r := ref.(type) {
	case *openapi3.SchemaRef:
		return r.Value
	}
	return nil
}
