package adapter_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/bench/adapter"
	"github.com/hookgen/hookgen/internal/bench/payload"
	"github.com/hookgen/hookgen/internal/bench/serve"
	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/openapi"
)

func post(t *testing.T, h http.Handler, token string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, serve.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(serve.TokenHeader, token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestEveryAvailableModeAcceptsTheOpenPayloadAndRejectsBadInput(t *testing.T) {
	for _, m := range adapter.Available() {
		t.Run(string(m), func(t *testing.T) {
			cfg := adapter.Config{Mode: m, Path: filepath.Join(t.TempDir(), "bench.db"), RejectInvalid: true}
			switch m {
			case adapter.Postgres:
				cfg.URL = services.PostgresURL(t)
			case adapter.Redis:
				cfg.URL = services.RedisURL(t)
			}
			rc, err := adapter.Open(cfg)
			require.NoError(t, err)
			defer func() { require.NoError(t, rc.Close(context.Background())) }()
			gen := payload.NewGenerator(payload.Open(), 1)
			require.Equal(t, http.StatusOK, post(t, rc, serve.Token, gen.Next()).Code)
			require.Equal(t, http.StatusNotFound, post(t, rc, "wrong", gen.Next()).Code)
			bad := post(t, rc, serve.Token, []byte(`{"notificationId": `))
			require.Equal(t, http.StatusBadRequest, bad.Code)
			require.True(t, strings.HasPrefix(bad.Header().Get("Content-Type"), "application/problem+json"))
		})
	}
}

func TestByDefaultInvalidPayloadsAreQuarantinedAndAcknowledged(t *testing.T) {
	rc, err := adapter.Open(adapter.Config{Mode: adapter.Memory})
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close(context.Background())) }()
	require.Equal(t, http.StatusOK, post(t, rc, serve.Token, []byte(`{"notificationId": `)).Code)
	require.Equal(t, 1, rc.Quarantined())
}

func TestOpenReportsUnavailableAndUnknownModes(t *testing.T) {
	for _, m := range []adapter.Mode{adapter.Redis, adapter.Postgres} {
		if contains(adapter.Available(), m) {
			continue
		}
		_, err := adapter.Open(adapter.Config{Mode: m})
		require.ErrorIs(t, err, adapter.ErrUnavailable)
	}
	if !adapter.DurableAvailable() {
		_, err := adapter.Open(adapter.Config{Mode: adapter.Bolt, Durable: true, Path: filepath.Join(t.TempDir(), "d.db")})
		require.ErrorIs(t, err, adapter.ErrUnavailable)
	}
	_, err := adapter.Open(adapter.Config{Mode: "tape"})
	require.ErrorIs(t, err, adapter.ErrUnknownMode)
}

func TestFamiliesCoverEveryEmbeddedSpec(t *testing.T) {
	fams := adapter.Families()
	require.Len(t, fams, len(openapi.Families()))
	for _, name := range openapi.Families() {
		newFamily, ok := fams[name]
		require.True(t, ok, name)
		f, err := newFamily()
		require.NoError(t, err)
		require.Equal(t, name, f.Name)
	}
}

func contains(ms []adapter.Mode, m adapter.Mode) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}
