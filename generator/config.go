package generator

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"gopkg.in/yaml.v3"

	"github.com/hookgen/hookgen/runtime/dynamic"
)

// Config is everything `hookgen generate` needs. It is read from flags or
// from a hookgen.yaml file (JSON Schema: generator/hookgen.schema.json).
type Config struct {
	// Spec is the path of the OpenAPI document (required).
	Spec string `yaml:"spec" json:"spec"`
	// Package is the Go package name of the output (required).
	Package string `yaml:"package" json:"package"`
	// Out is the output directory (required by the CLI).
	Out string `yaml:"out" json:"out"`
	// Family names the sender family; defaults to x-hookgen-family, then
	// the package name.
	Family string `yaml:"family,omitempty" json:"family,omitempty"`
	// Overlay is the path of an OpenAPI Overlay 1.0 document applied to the
	// spec before anything else (for third-party specs that lack hookgen's
	// extensions).
	Overlay string `yaml:"overlay,omitempty" json:"overlay,omitempty"`
	// Webhooks sets x-hookgen-* extensions per webhook (its key in
	// webhooks:, its path, or its operationId) without editing the spec:
	// the config file's own overlay.
	Webhooks map[string]WebhookConfig `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
	// Source is the spec name written into the generated files' headers;
	// defaults to the base name of Spec.
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
	// OnWarning, when set, receives what generation accepts but reports,
	// such as a vendor example that violates its own schema.
	OnWarning func(dynamic.Warning) `yaml:"-" json:"-"`
}

// WebhookConfig is the config file's overlay for one webhook: each field,
// when set, replaces the x-hookgen-* extension of the same name on every
// operation of the webhook.
type WebhookConfig = dynamic.WebhookConfig

// Dynamic returns the part of c that loading a spec needs, for
// dynamic.Load and dynamic.LoadFamily.
func (c Config) Dynamic() dynamic.Config {
	return dynamic.Config{Spec: c.Spec, Overlay: c.Overlay, Family: c.Family, Webhooks: c.Webhooks, OnWarning: c.OnWarning}
}

var goIdent = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Validate checks the configuration and says what to fix.
func (c *Config) Validate() error {
	if c.Spec == "" {
		return fmt.Errorf("no spec given: pass -spec FILE or set spec: in hookgen.yaml")
	}
	if c.Package == "" {
		return fmt.Errorf("no package name given: pass -package NAME or set package: in hookgen.yaml")
	}
	if !goIdent.MatchString(c.Package) {
		return fmt.Errorf("package name %q is not a lower-case Go identifier", c.Package)
	}
	return nil
}

// LoadConfig reads a hookgen.yaml file. Relative paths in it are resolved
// against the file's directory. Unknown keys are an error, so typos do not
// pass silently.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for _, p := range []*string{&c.Spec, &c.Out, &c.Overlay} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	return c, nil
}
