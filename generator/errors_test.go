package generator_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/generator"
)

func writeSpec(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spec.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

const specHead = `openapi: 3.1.0
info: {title: t, version: "1"}
`

// TestBadInput checks that every kind of bad input is an ErrSpec or
// config error whose message says what is wrong and where.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name, spec string
		want       []string
	}{
		{"unreadable", "", []string{"cannot read spec"}},
		{"not yaml", "openapi: [3.1.0\n", []string{"spec.yaml"}},
		{"invalid document", specHead + "webhooks:\n  a:\n    post:\n      responses: 7\n", []string{"spec.yaml"}},
		{"no webhooks", specHead + "paths: {}\n", []string{"no webhooks"}},
		{"oauth2", specHead + `webhooks:
  a:
    post:
      security: [{O: []}]
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    O: {type: oauth2, flows: {clientCredentials: {tokenUrl: "https://x/t", scopes: {}}}}
`, []string{"oauth2", "not supported", "overlay"}},
		{"bad event name", specHead + `webhooks:
  a:
    post:
      x-hookgen-events: [{name: lower}]
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
`, []string{"lower", "exported Go identifier", "webhooks.a"}},
		{"bad delivery mode", specHead + `webhooks:
  a:
    post:
      x-hookgen-delivery: {mode: sometimes}
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
`, []string{"sometimes", "retry-until-success"}},
		// What the generated Family() builds is built at generation time:
		// a description it would refuse never reaches run time.
		{"bad key expression", specHead + `webhooks:
  a:
    post:
      x-hookgen-idempotency-key: [$request.bogus]
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
`, []string{"idempotency key", "$request.bogus"}},
		{"bad path", specHead + `webhooks:
  a:
    post:
      x-hookgen-path: nope
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
`, []string{"nope", "must start with /"}},
		{"xml only", specHead + `webhooks:
  a:
    post:
      requestBody: {content: {application/xml: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
`, []string{"no JSON media type", "application/xml"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "missing.yaml")
			if c.spec != "" {
				path = writeSpec(t, c.spec)
			}
			_, err := generator.Run(context.Background(), generator.Config{Spec: path, Package: "p"})
			require.Error(t, err)
			assert.True(t, errors.Is(err, generator.ErrSpec), "not an ErrSpec: %v", err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	_, err := generator.Run(context.Background(), generator.Config{Spec: "x.yaml"})
	require.ErrorContains(t, err, "-package")
	_, err = generator.Run(context.Background(), generator.Config{Spec: "x.yaml", Package: "Bad-Name"})
	require.ErrorContains(t, err, "not a lower-case Go identifier")
}
