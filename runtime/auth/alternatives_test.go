package auth_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
)

// NetPulse declares Basic OR Bearer: configuring one alternative is enough,
// the other is then refused; configuring none refuses to start and names
// both.
func TestAlternativeRequirements(t *testing.T) {
	fam := &runtime.Family{
		Name:     "netpulse",
		Security: []runtime.SecurityRequirement{{"Basic"}, {"Bearer"}},
		Schemes: map[string]runtime.SecurityScheme{
			"Basic":  {Name: "Basic", Kind: runtime.Basic},
			"Bearer": {Name: "Bearer", Kind: runtime.Bearer},
		},
	}
	_, err := auth.New(fam, nil)
	require.ErrorIs(t, err, runtime.ErrConfig)
	assert.Contains(t, err.Error(), "Basic or Bearer")

	a, err := auth.New(fam, auth.Secrets{"Basic": {"np:pw"}})
	require.NoError(t, err)
	basic := &runtime.Request{Header: http.Header{"Authorization": {"Basic bnA6cHc="}}} // np:pw
	assert.NoError(t, a.Authenticate(basic))
	bearer := &runtime.Request{Header: http.Header{"Authorization": {"Bearer np:pw"}}}
	assert.ErrorIs(t, a.Authenticate(bearer), runtime.ErrUnauthorized)
}
