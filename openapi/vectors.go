package openapi

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// Verdict is what a validator must conclude about a vector.
type Verdict string

// The verdicts a manifest may give.
const (
	// VerdictValid: the payload conforms to the spec and must be accepted.
	VerdictValid Verdict = "valid"
	// VerdictInvalid: the request must be rejected (see Vector.Status).
	VerdictInvalid Verdict = "invalid"
	// VerdictLegacy: a payload the vendor published or sent in an older
	// shape that the current spec rejects; it is kept to document the drift.
	VerdictLegacy Verdict = "legacy"
)

// SyntheticOversize marks a vector whose body is its Base vector's body
// padded with trailing JSON whitespace to one byte past the operation's
// x-hookgen-delivery max-body-bytes.
const SyntheticOversize = "oversize"

// DefaultMaxBodyBytes is the x-hookgen-delivery max-body-bytes default.
const DefaultMaxBodyBytes = 1 << 20

// Vector is one test vector of a family, as listed in
// examples/<family>/manifest.yaml, with its payload loaded.
type Vector struct {
	// Family is the family name of the manifest.
	Family string `yaml:"-"`
	// Name is unique within the family, kebab-case.
	Name string `yaml:"name"`
	// File is the payload file, relative to the manifest; empty means no body.
	File string `yaml:"file"`
	// Webhook is the key under the spec's `webhooks:`.
	Webhook string `yaml:"webhook"`
	// Method is the HTTP method, upper-case.
	Method string `yaml:"method"`
	// ContentType is the Content-Type header; empty for GET query vectors.
	ContentType string `yaml:"content-type"`
	// Headers are extra request headers.
	Headers map[string]string `yaml:"headers"`
	// Verdict is the verdict under kin-openapi and hookgen's strict mode.
	Verdict Verdict `yaml:"verdict"`
	// Lenient is the verdict under hookgen's lenient mode when it differs
	// from Verdict (an unknown enum value); empty otherwise.
	Lenient Verdict `yaml:"lenient"`
	// Event is the x-hookgen-events name a valid (or lenient-valid) vector
	// dispatches to.
	Event string `yaml:"event"`
	// Status is the HTTP status the receiver must answer under Verdict.
	Status int `yaml:"status"`
	// Pointer is the JSON pointer of (one of) the errors of an invalid or
	// legacy vector, when the error is located in the payload.
	Pointer string `yaml:"pointer"`
	// Synthetic names a transport-level construction (SyntheticOversize).
	Synthetic string `yaml:"synthetic"`
	// Base is the vector a synthetic vector derives from.
	Base string `yaml:"base"`
	// Source says where the payload comes from.
	Source string `yaml:"source"`
	// Note explains the vector.
	Note string `yaml:"note"`

	// Body is the request body (nil for GET query vectors and body-less
	// requests); synthetic oversize bodies are generated.
	Body []byte `yaml:"-"`
	// Query is the raw query string (without '?') of a `.query` vector.
	Query string `yaml:"-"`
}

// Manifest is the parsed examples/<family>/manifest.yaml.
type Manifest struct {
	// Family is the family name.
	Family string `yaml:"family"`
	// Spec is the spec path relative to the manifest.
	Spec string `yaml:"spec"`
	// Vectors lists the vectors in file order.
	Vectors []Vector `yaml:"vectors"`
}

// ManifestPath returns the path of a family's manifest inside [FS].
func ManifestPath(family string) string {
	return path.Join("examples", family, "manifest.yaml")
}

// ReadManifest parses a family's manifest without loading the payloads.
func ReadManifest(family string) (*Manifest, error) {
	if _, err := SpecBytes(family); err != nil {
		return nil, err
	}
	raw, err := fs.ReadFile(files, ManifestPath(family))
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("openapi: %s: %w", ManifestPath(family), err)
	}
	if m.Family != family {
		return nil, fmt.Errorf("openapi: %s: family %q, want %q", ManifestPath(family), m.Family, family)
	}
	for i := range m.Vectors {
		m.Vectors[i].Family = family
	}
	return &m, nil
}

// Vectors returns a family's vectors in manifest order with their payloads
// loaded; synthetic oversize bodies are generated from their base vector.
func Vectors(family string) ([]Vector, error) {
	m, err := ReadManifest(family)
	if err != nil {
		return nil, err
	}
	dir := path.Join("examples", family)
	byName := make(map[string]int, len(m.Vectors))
	for i := range m.Vectors {
		v := &m.Vectors[i]
		if _, dup := byName[v.Name]; dup {
			return nil, fmt.Errorf("openapi: %s: duplicate vector %q", family, v.Name)
		}
		byName[v.Name] = i
		if v.Synthetic != "" || v.File == "" {
			continue
		}
		raw, err := fs.ReadFile(files, path.Join(dir, v.File))
		if err != nil {
			return nil, fmt.Errorf("openapi: %s vector %q: %w", family, v.Name, err)
		}
		if strings.HasSuffix(v.File, ".query") {
			v.Query = string(raw)
		} else {
			v.Body = raw
		}
	}
	for i := range m.Vectors {
		v := &m.Vectors[i]
		switch v.Synthetic {
		case "":
		case SyntheticOversize:
			bi, ok := byName[v.Base]
			if !ok || m.Vectors[bi].Synthetic != "" {
				return nil, fmt.Errorf("openapi: %s vector %q: bad base %q", family, v.Name, v.Base)
			}
			limit, err := maxBodyBytes(family, v.Webhook, v.Method)
			if err != nil {
				return nil, err
			}
			base := m.Vectors[bi].Body
			pad := max(limit+1-len(base), 0)
			v.Body = append(bytes.Clone(base), bytes.Repeat([]byte{' '}, pad)...)
		default:
			return nil, fmt.Errorf("openapi: %s vector %q: unknown synthetic %q", family, v.Name, v.Synthetic)
		}
	}
	return m.Vectors, nil
}

// maxBodyBytes reads x-hookgen-delivery.max-body-bytes of one operation
// straight from the YAML (no kin-openapi load needed), defaulting to
// DefaultMaxBodyBytes.
func maxBodyBytes(family, webhook, method string) (int, error) {
	raw, err := SpecBytes(family)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Webhooks map[string]map[string]yaml.Node `yaml:"webhooks"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return 0, fmt.Errorf("openapi: %s: %w", SpecPath(family), err)
	}
	item, ok := doc.Webhooks[webhook]
	if !ok {
		return 0, fmt.Errorf("openapi: %s: no webhook %q", family, webhook)
	}
	node, ok := item[strings.ToLower(method)]
	if !ok {
		return 0, fmt.Errorf("openapi: %s: webhook %q has no %s", family, webhook, method)
	}
	var op struct {
		Delivery struct {
			MaxBodyBytes int `yaml:"max-body-bytes"`
		} `yaml:"x-hookgen-delivery"`
	}
	if err := node.Decode(&op); err != nil {
		return 0, fmt.Errorf("openapi: %s: %w", SpecPath(family), err)
	}
	if n := op.Delivery.MaxBodyBytes; n > 0 {
		return n, nil
	}
	return DefaultMaxBodyBytes, nil
}
