package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateWritesAllFiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "pkg")
	code, stdout, stderr := cli(t, nil, "generate", "-spec", specPath("stackstate"), "-package", "stackstate", "-out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "wrote 4 files")
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"models.gen.go", "receiver.gen.go", "sender.gen.go", "validate.gen.go"}, names)
}

// TestGenerateBadSpecWritesNothing: a spec that fails exits 1 with the
// spec's path and the reason, and leaves the output directory untouched.
func TestGenerateBadSpecWritesNothing(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(spec, []byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\nwebhooks:\n  a:\n    post:\n      security: [{O: []}]\n      requestBody: {content: {application/json: {schema: {type: object}}}}\n      responses: {'200': {description: ok}}\ncomponents:\n  securitySchemes:\n    O: {type: oauth2, flows: {clientCredentials: {tokenUrl: 'https://x/t', scopes: {}}}}\n"), 0o644))
	out := filepath.Join(dir, "out")
	require.NoError(t, os.MkdirAll(out, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(out, "keep.go"), []byte("package out\n"), 0o644))
	code, _, stderr := cli(t, nil, "generate", "-spec", spec, "-package", "out", "-out", out)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "oauth2")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.Len(t, entries, 1, "nothing half-written")
	assert.Equal(t, "keep.go", entries[0].Name())

	code, _, stderr = cli(t, nil, "generate", "-spec", filepath.Join(dir, "missing.yaml"), "-package", "out", "-out", out)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "cannot read spec")
}

func TestGenerateUsage(t *testing.T) {
	code, _, stderr := cli(t, nil, "generate", "-spec", specPath("stackstate"))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "-package")
}

// TestGenerateWarnsOnExampleThatViolatesItsSchema: a vendor example that
// breaks the vendor's own schema does not refuse the spec; generate writes
// the files and prints one warning naming the example's pointer and the
// failing field.
func TestGenerateWarnsOnExampleThatViolatesItsSchema(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "vendor.yaml")
	require.NoError(t, os.WriteFile(spec, []byte(`openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /webhook:
    post:
      operationId: hook
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [id]
              properties:
                id: {type: string}
                tags: {type: array, items: {type: string}}
            examples:
              good: {value: {id: a, tags: [x]}}
              old: {value: {id: b, tags: {team: x}}}
      responses: {'200': {description: ok}}
`), 0o644))
	out := filepath.Join(dir, "out")
	code, _, stderr := cli(t, nil, "generate", "-q", "-spec", spec, "-package", "out", "-out", out)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, 1, strings.Count(stderr, "warning:"), stderr)
	assert.Contains(t, stderr, "#/paths/~1webhook/post/requestBody/content/application~1json/examples/old/value")
	assert.Contains(t, stderr, "at /tags:")
	assert.NotContains(t, stderr, "examples/good")
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Len(t, entries, 4)
}
