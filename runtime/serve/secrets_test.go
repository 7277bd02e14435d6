package serve_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/serve"
)

func TestSecretEnvName(t *testing.T) {
	for in, want := range map[string]string{
		"Token":         "HOOKGEN_SECRET_TOKEN",
		"token":         "HOOKGEN_SECRET_TOKEN",
		"Tier3-RsaSha1": "HOOKGEN_SECRET_TIER3_RSASHA1",
		"basic.auth":    "HOOKGEN_SECRET_BASIC_AUTH",
		"bearer auth":   "HOOKGEN_SECRET_BEARER_AUTH",
	} {
		assert.Equal(t, want, serve.SecretEnvName(in), in)
	}
}

// Only the schemes the family uses are read; unset and empty variables are
// left out.
func TestEnvSecrets(t *testing.T) {
	fam := &runtime.Family{Security: []runtime.SecurityRequirement{{"Basic"}, {"Bearer"}, {"Tier3-RsaSha1"}}}
	env := map[string]string{
		"HOOKGEN_SECRET_BASIC":         "u:p",
		"HOOKGEN_SECRET_BEARER":        "",
		"HOOKGEN_SECRET_TIER3_RSASHA1": "pem",
		"HOOKGEN_SECRET_OTHER":         "x",
	}
	got := serve.EnvSecrets(fam, func(k string) string { return env[k] })
	assert.Equal(t, auth.Secrets{"Basic": {"u:p"}, "Tier3-RsaSha1": {"pem"}}, got)
	assert.Equal(t, []string{"Basic", "Bearer", "Tier3-RsaSha1"}, serve.SchemesUsed(fam))
}
