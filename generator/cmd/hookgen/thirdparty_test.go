package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/specrun"
	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
)

// TestServeThirdPartyCorpus: `hookgen serve -spec <case>/hookgen.yaml`
// serves each third-party spec of generator/testdata/thirdparty as
// published (with its config and overlay), and `hookgen send` of each of
// the spec's own examples is answered as the spec says: an example that
// matches its schema is processed and answered the spec's success status;
// one that breaks it never reaches the handler (refused with 400, or, for a
// retry-until-success sender, quarantined and acknowledged).
func TestServeThirdPartyCorpus(t *testing.T) {
	cfgs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "thirdparty", "*", "hookgen.yaml"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(cfgs), 6)
	for _, cfg := range cfgs {
		t.Run(filepath.Base(filepath.Dir(cfg)), func(t *testing.T) {
			sp, err := specrun.Load(context.Background(), cfg)
			require.NoError(t, err)
			vs, err := sp.Vectors()
			require.NoError(t, err)
			require.NotEmpty(t, vs)
			secrets := corpusSecrets(sp)
			// Synchronous mode: the answer carries the handler's outcome
			// (durable mode, the default for single-attempt senders,
			// answers "accepted" before processing).
			base, _ := startServe(t, append([]string{"-spec", cfg, "-store", "memory:", "-mode", "sync"}, secrets...)...)
			success := sp.Family.Delivery.Defaults().SuccessStatus
			for _, v := range vs {
				_, results, _ := sendJSON(t, append([]string{"-spec", cfg, "-url", base, "-example", v.Name, "-max-attempts", "3"}, secrets...)...)
				require.Len(t, results, 1, v.Name)
				r := results[0]
				if v.Verdict == openapi.VerdictValid {
					assert.Equal(t, success, r.Status, "%s: %+v", v.Name, r)
					assert.Equal(t, string(receiver.OutcomeProcessed), r.Outcome, v.Name)
					continue
				}
				assert.NotEqual(t, string(receiver.OutcomeProcessed), r.Outcome, v.Name)
				if sp.Family.Delivery.Mode == runtime.RetryUntilSuccess {
					assert.Equal(t, string(receiver.OutcomeQuarantined), r.Outcome, "%s: %+v", v.Name, r)
				} else {
					assert.Equal(t, 400, r.Status, "%s: %+v", v.Name, r)
				}
			}
		})
	}
}

// corpusSecrets gives every scheme the spec's security names a secret, as
// -secret flags for serve and send alike.
func corpusSecrets(sp *specrun.Spec) []string {
	var out []string
	for _, n := range usedSchemes(sp) {
		v := "hookgen-corpus-secret"
		if sp.Family.Schemes[n].Kind == runtime.Basic {
			v = "corpus:" + v
		}
		out = append(out, "-secret", n+"="+v)
	}
	return out
}

// TestValidateWithConfigFile: validate takes a hookgen.yaml as -spec too
// and checks payloads against the spec it names.
func TestValidateWithConfigFile(t *testing.T) {
	cfg := filepath.Join("..", "..", "testdata", "thirdparty", "oai-webhook-example", "hookgen.yaml")
	code, stdout, stderr := cli(t, strings.NewReader(`{"id": 1, "name": "Rex"}`), "validate", "-spec", cfg, "-")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "ok - NewPet")
	code, stdout, _ = cli(t, strings.NewReader(`{"id": 1}`), "validate", "-spec", cfg, "-")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "/name")
}
