package webhooktest_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

const (
	ssToken     = "kit-test-token-0123456789"
	billingKey  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // a Standard Webhooks key
	billingKey2 = "whsec_c2Vjb25kLWtleS1mb3Itcm90YXRpb24="
)

func specPath(family string) string { return filepath.Join("..", "..", "openapi", family+".yaml") }

const billingSpec = "../../generator/testdata/billing31/openapi.yaml"

func loadKit(t *testing.T, spec string) *webhooktest.Kit {
	t.Helper()
	k, err := webhooktest.Load(spec)
	require.NoError(t, err)
	return k
}

// vectorBody reads an embedded vector's payload from the source tree.
func vectorBody(t *testing.T, family, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "openapi", "examples", family, file))
	require.NoError(t, err)
	return b
}

// serve starts the kit's dynamic receiver behind an httptest.Server, its
// handler recording into rec.
func serve(t *testing.T, k *webhooktest.Kit, rec *webhooktest.Recorder, secrets auth.Secrets, opts ...receiver.Option) *httptest.Server {
	t.Helper()
	mem := store.NewMemory()
	t.Cleanup(func() { _ = mem.Close() })
	// Synchronous: the scenarios count handler calls when the answer comes.
	opts = append([]receiver.Option{receiver.WithStore(mem), receiver.WithMode(receiver.Sync)}, opts...)
	if secrets != nil {
		opts = append(opts, receiver.WithSecrets(secrets))
	}
	rc, err := receiver.New(k.Family(), rec.Wrap(nil), opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(rc.Handler())
	t.Cleanup(func() { srv.Close(); _ = rc.Close() })
	return srv
}

// withField returns the JSON document body with the top-level field set.
func withField(t *testing.T, body []byte, path []string, v any) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(body, &doc))
	m := doc
	for _, p := range path[:len(path)-1] {
		m = m[p].(map[string]any)
	}
	m[path[len(path)-1]] = v
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	return out
}

// writeSpecWithExample writes a minimal 3.1 spec with a named example.
func writeSpecWithExample(t *testing.T, dir string) string {
	t.Helper()
	spec := `openapi: 3.1.0
info: {title: Example, version: "1"}
webhooks:
  billing-event:
    post:
      operationId: billingEvent
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [type, id]
              properties:
                type: {type: string}
                id: {type: string}
            examples:
              paid:
                value: {type: invoice.paid, id: in_9}
      responses:
        "200": {description: OK}
`
	p := filepath.Join(dir, "spec.yaml")
	require.NoError(t, os.WriteFile(p, []byte(spec), 0o600))
	return p
}
