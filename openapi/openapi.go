package openapi

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed *.yaml examples
var files embed.FS

// ErrUnknownFamily is returned (wrapped) for a family name that has no spec.
var ErrUnknownFamily = errors.New("openapi: unknown family")

// Families returns the names of the embedded families, sorted.
func Families() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// FS returns the embedded file system: the specs at the root (<family>.yaml)
// and the vectors under examples/<family>/.
func FS() fs.FS { return files }

// SpecPath returns the path of a family's spec inside [FS]. It does not
// check that the family exists.
func SpecPath(family string) string { return family + ".yaml" }

// SpecBytes returns the raw YAML of a family's spec.
func SpecBytes(family string) ([]byte, error) {
	if !slices.Contains(Families(), family) {
		return nil, fmt.Errorf("%w %q", ErrUnknownFamily, family)
	}
	return fs.ReadFile(files, SpecPath(family))
}

// Load parses a family's spec with kin-openapi's loader, reading from the
// embedded file system (relative $refs resolve inside it), and validates the
// document. OpenAPI 3.1 validation (JSON Schema 2020-12) is switched on by
// kin-openapi from the document's `openapi: 3.1.0`.
func Load(ctx context.Context, family string) (*openapi3.T, error) {
	if _, err := SpecBytes(family); err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = true
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if u.Scheme != "" || u.Host != "" {
			return nil, fmt.Errorf("openapi: external reference %q outside the embedded specs", u)
		}
		return fs.ReadFile(files, path.Clean(strings.TrimPrefix(u.Path, "/")))
	}
	doc, err := loader.LoadFromURI(&url.URL{Path: SpecPath(family)})
	if err != nil {
		return nil, fmt.Errorf("openapi: load %s: %w", family, err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("openapi: validate %s: %w", family, err)
	}
	return doc, nil
}

// SchemaValidationOptions returns the per-call kin-openapi schema options
// hookgen validates payloads with: an RFC 4122 check for `format: uuid`
// (kin-openapi ignores the format unless a validator is given). Pass them in
// openapi3filter.Options.SchemaValidationOptions; nothing is registered
// globally.
func SchemaValidationOptions() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidator("uuid",
			openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122)),
	}
}
