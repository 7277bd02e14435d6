package dynamic

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// configFile is the part of a hookgen.yaml that loading a spec needs; the
// generator's own keys are accepted and ignored here.
type configFile struct {
	Spec     string                   `yaml:"spec"`
	Family   string                   `yaml:"family"`
	Overlay  string                   `yaml:"overlay"`
	Webhooks map[string]WebhookConfig `yaml:"webhooks"`
	Package  string                   `yaml:"package"`
	Out      string                   `yaml:"out"`
	Source   string                   `yaml:"source"`
}

// ReadConfig reads a hookgen.yaml (the file `hookgen generate -config`
// takes) as a Config: its spec, family, overlay and per-webhook
// extensions. Relative paths are resolved against the file's directory;
// unknown keys are an error.
func ReadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	var c configFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	if c.Spec == "" {
		return Config{}, fmt.Errorf("config %s: no spec: set spec: to the OpenAPI document", path)
	}
	dir := filepath.Dir(path)
	for _, p := range []*string{&c.Spec, &c.Overlay} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	return Config{Spec: c.Spec, Family: c.Family, Overlay: c.Overlay, Webhooks: c.Webhooks}, nil
}

// IsConfigFile reports whether the YAML or JSON document at path is a
// hookgen.yaml (a top-level spec: key and no openapi: key) rather than an
// OpenAPI document.
func IsConfigFile(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var top map[string]any
	if yaml.Unmarshal(b, &top) != nil {
		return false
	}
	_, spec := top["spec"]
	_, oas := top["openapi"]
	return spec && !oas
}
