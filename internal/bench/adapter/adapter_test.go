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
	"github.com/hookgen/hookgen/runtime/store"
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

type variant struct {
	mode    adapter.Mode
	durable bool
}

func variants() []variant {
	var vs []variant
	for _, m := range adapter.Available() {
		vs = append(vs, variant{m, false})
		if adapter.DurableAvailable() && m != adapter.Redis {
			vs = append(vs, variant{m, true})
		}
	}
	return vs
}

func TestEveryAvailableModeAcceptsTheOpenPayloadAndRejectsBadInput(t *testing.T) {
	for _, v := range variants() {
		m := v.mode
		name := string(m)
		if v.durable {
			name += "-durable"
		}
		t.Run(name, func(t *testing.T) {
			cfg := adapter.Config{Mode: m, Durable: v.durable, Path: filepath.Join(t.TempDir(), "bench.db"), RejectInvalid: true}
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

func TestDurableModeHasTheDeliveryInTheInboxWhenItAcknowledges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "durable.db")
	rc, err := adapter.Open(adapter.Config{Mode: adapter.Bolt, Durable: true, Path: path})
	require.NoError(t, err)
	body := payload.NewGenerator(payload.Open(), 4).Next()
	require.Equal(t, http.StatusOK, post(t, rc, serve.Token, body).Code)
	require.NoError(t, rc.Close(context.Background()))

	st, err := store.OpenBolt(path)
	require.NoError(t, err)
	defer st.Close()
	page, err := st.List(context.Background(), store.Query{Family: "stackstate"})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	require.Equal(t, body, page.Entries[0].Body)
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
		require.Equal(t, name, newFamily().Name)
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
