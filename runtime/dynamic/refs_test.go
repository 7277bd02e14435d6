package dynamic_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/dynamic"
)

func TestCanonicalRef(t *testing.T) {
	for in, want := range map[string]string{
		"webhook.api.yaml#/paths/%2Fwebhook":           "webhook.api.yaml#/paths/~1webhook",
		"#/paths/%2Fhooks%2F%7Bid%7D":                  "#/paths/~1hooks~1%7Bid%7D",
		"a.yaml#/components/schemas/100%25":            "a.yaml#/components/schemas/100%25",
		"a.yaml#/components/schemas/Ev%C3%A9nement":    "a.yaml#/components/schemas/Ev%C3%A9nement",
		"a.yaml#/paths/~1a%7E1b":                       "a.yaml#/paths/~1a~01b",
		"a.yaml#/components/schemas/with%20space/type": "a.yaml#/components/schemas/with%20space/type",
	} {
		got, ok := dynamic.CanonicalRef(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"a.yaml", "a.yaml#/paths/~1webhook", "a.yaml#anchor%20x", "a.yaml#/paths/%zz"} {
		got, ok := dynamic.CanonicalRef(in)
		assert.False(t, ok, in)
		assert.Equal(t, in, got)
	}
}

// TestPercentEncodedRefsResolve: a path item, a schema and a nested schema
// reached through percent-encoded JSON pointers (RFC 6901 §6) load, in
// YAML and in JSON documents.
func TestPercentEncodedRefsResolve(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
	}
	write("root.yaml", `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /webhook: { $ref: "hooks.yaml#/paths/%2Fhooks%2F%7Bid%7D"}
  /other:
    $ref: 'other.json#/paths/%2Fother'
`)
	write("hooks.yaml", `paths:
  /hooks/{id}:
    post:
      operationId: deliver
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pay%20load"}
      responses: {"200": {description: ok}}
components:
  schemas:
    Pay load:
      type: object
      required: [id]
      properties:
        id: {type: string}
`)
	write("other.json", `{"paths": {"/other": {"post": {"operationId": "other",
  "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}}},
  "responses": {"200": {"description": "ok"}}}}}}`)
	l, err := dynamic.LoadFamily(context.Background(), dynamic.Config{Spec: filepath.Join(dir, "root.yaml")})
	require.NoError(t, err)
	var paths []string
	for _, w := range l.Spec.Webhooks {
		paths = append(paths, w.Path)
	}
	assert.Equal(t, []string{"/other", "/webhook"}, paths)
	deliver := l.Spec.Webhooks[1].Operations[0].Body.Value
	require.NotNil(t, deliver)
	assert.Equal(t, []string{"id"}, deliver.Required)
}
