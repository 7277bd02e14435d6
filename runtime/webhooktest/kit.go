package webhooktest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/dynamic"
)

// Kit is one loaded spec with its dynamic family. Build it with Load; it is
// immutable and safe for concurrent use.
type Kit struct {
	spec    string
	doc     *openapi3.T
	fam     *runtime.Family
	model   *dynamic.Spec
	vectors []openapi.Vector
}

// LoadOption configures Load.
type LoadOption func(*loadConfig)

type loadConfig struct {
	ctx     context.Context
	gen     dynamic.Config
	vectors []openapi.Vector
	noVec   bool
}

// WithContext sets the context the spec is loaded under. Default:
// context.Background().
func WithContext(ctx context.Context) LoadOption {
	return func(c *loadConfig) { c.ctx = ctx }
}

// WithConfig sets how the spec is loaded (overlay, per-webhook extensions,
// family name); its Spec field is replaced by the path given to Load.
// Default: no overlay, family from x-hookgen-family, else "dynamic".
// generator.Config.Dynamic converts a hookgen.yaml configuration.
func WithConfig(cfg dynamic.Config) LoadOption {
	return func(c *loadConfig) { c.gen = cfg }
}

// WithVectors sets the test vectors ExampleRequest finds by name. Default:
// openapi.Vectors(family) when the spec's family is one of the embedded
// families, else none.
func WithVectors(vs []openapi.Vector) LoadOption {
	return func(c *loadConfig) { c.vectors, c.noVec = vs, vs == nil }
}

// Load reads the OpenAPI document at spec (any spec hookgen can load, 3.0
// or 3.1, with relative $refs) and builds its dynamic family. It fails with
// an error wrapping dynamic.ErrSpec when the spec cannot be loaded or
// modelled.
func Load(spec string, opts ...LoadOption) (*Kit, error) {
	cfg := loadConfig{ctx: context.Background()}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	gc := cfg.gen
	gc.Spec = spec
	doc, err := dynamic.Load(cfg.ctx, gc)
	if err != nil {
		return nil, fmt.Errorf("webhooktest: %w", err)
	}
	model, err := dynamic.Build(doc, gc.Family, "dynamic")
	if err != nil {
		return nil, fmt.Errorf("webhooktest: %s: %w", spec, err)
	}
	fam, err := dynamic.Family(model)
	if err != nil {
		return nil, fmt.Errorf("webhooktest: %s: %w", spec, err)
	}
	k := &Kit{spec: spec, doc: doc, fam: fam, model: model, vectors: cfg.vectors}
	if k.vectors == nil && !cfg.noVec && slices.Contains(openapi.Families(), fam.Name) {
		if k.vectors, err = openapi.Vectors(fam.Name); err != nil {
			return nil, fmt.Errorf("webhooktest: %w", err)
		}
	}
	return k, nil
}

// Spec returns the path the kit was loaded from.
func (k *Kit) Spec() string { return k.spec }

// Family returns the dynamic runtime family of the spec (payloads decode to
// *map[string]any), for receiver.New and sender.New. The value is shared:
// do not modify it.
func (k *Kit) Family() *runtime.Family { return k.fam }

// Model returns the meanings of the spec (events, webhooks, security). The
// value is shared: do not modify it.
func (k *Kit) Model() *dynamic.Spec { return k.model }

// Vectors returns the test vectors ExampleRequest knows (see WithVectors).
func (k *Kit) Vectors() []openapi.Vector { return slices.Clone(k.vectors) }

// Vector returns the test vector called name.
func (k *Kit) Vector(name string) (openapi.Vector, bool) {
	for _, v := range k.vectors {
		if v.Name == name {
			return v, true
		}
	}
	return openapi.Vector{}, false
}

// webhook finds a webhook by name or path.
func (k *Kit) webhook(name string) *runtime.Webhook {
	for i := range k.fam.Webhooks {
		if w := &k.fam.Webhooks[i]; w.Name == name || w.Path == name {
			return w
		}
	}
	return nil
}

// event finds an event of the model by name.
func (k *Kit) event(name string) *dynamic.Event {
	for _, e := range k.model.Events {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// targets lists what Validate accepts, for error messages.
func (k *Kit) targets() string {
	var names []string
	for _, w := range k.fam.Webhooks {
		names = append(names, "webhook "+w.Name)
	}
	for _, e := range k.model.Events {
		names = append(names, "event "+e.Name)
	}
	return strings.Join(names, ", ")
}
