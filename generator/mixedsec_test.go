package generator_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mixedsec "github.com/hookgen/hookgen/generator/testdata/mixedsec/out"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/dynamic"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/sender"
)

const (
	mixedToken  = "mixed-token-7c1d"
	mixedSigKey = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	mixedBasic  = "hook:basic-pw-93a1"
	mixedBearer = "bearer-4e2f"
)

// mixedFamilies are the two ways a spec runs: the code generated from
// generator/testdata/mixedsec and the dynamic family hookgen serve builds
// from the same spec.
func mixedFamilies(t *testing.T) map[string]*runtime.Family {
	gen := mixedsec.Family()
	dyn, err := dynamic.LoadFamily(context.Background(), dynamic.Config{Spec: filepath.Join("testdata", "mixedsec", "openapi.yaml")})
	require.NoError(t, err)
	return map[string]*runtime.Family{"generated": gen, "dynamic": dyn.Family}
}

// calls records the webhooks whose handler ran.
type calls struct {
	mu    sync.Mutex
	names []string
}

func (c *calls) dispatch(_ context.Context, d *runtime.Delivery, _ runtime.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.names = append(c.names, d.Event)
	return nil
}

func (c *calls) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.names)
}

// TestPerOperationSecurity: every operation is authenticated by its own
// security (else the root's): a signed webhook next to a public one, two
// different schemes, and an OR of two schemes, over HTTP, through the
// generated and the dynamic family alike.
func TestPerOperationSecurity(t *testing.T) {
	all := auth.Secrets{"Token": {mixedToken}, "Signature": {mixedSigKey}, "Basic": {mixedBasic}, "Bearer": {mixedBearer}}
	for name, fam := range mixedFamilies(t) {
		t.Run(name, func(t *testing.T) {
			var c calls
			// Sync: the handler has run when the answer arrives.
			rc, err := receiver.New(fam, c.dispatch, receiver.WithSecrets(all), receiver.WithMode(receiver.Sync))
			require.NoError(t, err)
			t.Cleanup(func() { _ = rc.Close() })
			srv := httptest.NewServer(rc)
			t.Cleanup(srv.Close)
			signer, err := sender.New(fam, srv.URL, sender.WithSecret("Signature", mixedSigKey))
			require.NoError(t, err)
			n := 0
			send := func(webhook string, set func(*http.Request)) int {
				n++
				body := []byte(`{"id":"d` + string(rune('a'+n)) + `"}`)
				req, err := http.NewRequest("POST", srv.URL+pathOf(t, fam, webhook), bytes.NewReader(body))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/json")
				if set != nil {
					set(req)
				}
				res, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				_ = res.Body.Close()
				return res.StatusCode
			}
			token := func(r *http.Request) { r.Header.Set("X-Token", mixedToken) }
			basic := func(r *http.Request) { r.SetBasicAuth("hook", "basic-pw-93a1") }
			bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+mixedBearer) }
			signed := func(webhook string) int {
				n++
				req, err := signer.Request(context.Background(), webhook, "POST", []byte(`{"id":"s`+string(rune('a'+n))+`"}`),
					sender.WithCallHeader("webhook-id", "msg_"+string(rune('a'+n))))
				require.NoError(t, err)
				res, err := signer.Do(req)
				require.NoError(t, err)
				return res.Status
			}

			// token: the root security.
			assert.Equal(t, 401, send("token", nil), "token webhook without credentials")
			assert.Equal(t, 200, send("token", token))
			assert.Equal(t, 401, send("token", bearer), "another operation's scheme does not authenticate")
			// signed: its own signature replaces the root token.
			assert.Equal(t, 401, send("signed", nil), "unsigned delivery to the signed webhook")
			assert.Equal(t, 401, send("signed", token), "the root token does not authenticate a signed operation")
			assert.Equal(t, 200, signed("signed"))
			assert.Equal(t, 401, signed("token"), "a signature does not authenticate the token webhook")
			// public: security: [] for this operation only.
			assert.Equal(t, 200, send("public", nil))
			// either: Basic OR Bearer.
			assert.Equal(t, 200, send("either", basic))
			assert.Equal(t, 200, send("either", bearer))
			assert.Equal(t, 401, send("either", token))
			assert.Equal(t, 401, send("either", nil))
			assert.Equal(t, 5, c.count(), "the handler runs for authenticated deliveries only")
		})
	}
}

// TestPerOperationSecuritySecretsAtStart: secrets are checked at start for
// every scheme any operation uses.
func TestPerOperationSecuritySecretsAtStart(t *testing.T) {
	for name, fam := range mixedFamilies(t) {
		t.Run(name, func(t *testing.T) {
			var c calls
			for _, tc := range []struct {
				name    string
				secrets auth.Secrets
				missing string // "" means it starts
			}{
				{"none", nil, "Token"},
				{"root only", auth.Secrets{"Token": {mixedToken}}, "Signature"},
				{"no OR alternative", auth.Secrets{"Token": {mixedToken}, "Signature": {mixedSigKey}}, "Basic + Bearer"},
				{"one OR alternative is enough", auth.Secrets{"Token": {mixedToken}, "Signature": {mixedSigKey}, "Bearer": {mixedBearer}}, ""},
			} {
				opts := []receiver.Option{}
				if tc.secrets != nil {
					opts = append(opts, receiver.WithSecrets(tc.secrets))
				}
				rc, err := receiver.New(fam, c.dispatch, opts...)
				if tc.missing == "" {
					require.NoError(t, err, tc.name)
					_ = rc.Close()
					continue
				}
				require.ErrorIs(t, err, runtime.ErrConfig, tc.name)
				if tc.missing == "Basic + Bearer" {
					assert.Contains(t, err.Error(), "Basic or Bearer", tc.name)
				} else {
					assert.Contains(t, err.Error(), tc.missing, tc.name)
				}
			}
			// A secret for a scheme only one operation uses is no "unused
			// scheme".
			_, err := auth.New(fam, auth.Secrets{"Token": {mixedToken}, "Signature": {mixedSigKey}, "Basic": {mixedBasic}})
			require.NoError(t, err)
			_, err = auth.New(fam, auth.Secrets{"Token": {mixedToken}, "Signature": {mixedSigKey}, "Basic": {mixedBasic}, "Nope": {"x"}})
			require.ErrorIs(t, err, runtime.ErrConfig)
		})
	}
}

func pathOf(t *testing.T, fam *runtime.Family, webhook string) string {
	for _, w := range fam.Webhooks {
		if w.Name == webhook {
			return w.Path
		}
	}
	t.Fatalf("no webhook %s", webhook)
	return ""
}
