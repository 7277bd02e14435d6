package serve_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/bench/serve"
)

func TestListenRefusesANonLoopbackAddress(t *testing.T) {
	_, err := serve.Listen("0.0.0.0:0", "")
	require.ErrorIs(t, err, serve.ErrNotLoopback)
}

func TestListenWritesTheBoundPort(t *testing.T) {
	pf := filepath.Join(t.TempDir(), "port")
	ln, err := serve.Listen("127.0.0.1:0", pf)
	require.NoError(t, err)
	defer ln.Close()
	raw, err := os.ReadFile(pf)
	require.NoError(t, err)
	port, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	require.NoError(t, err)
	require.Equal(t, ln.Addr().(interface{ String() string }).String(), "127.0.0.1:"+strconv.Itoa(port))
}

func TestTokenOK(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "/", nil)
	require.False(t, serve.TokenOK(r))
	r.Header.Set(serve.TokenHeader, serve.Token+"x")
	require.False(t, serve.TokenOK(r))
	r.Header.Set(serve.TokenHeader, serve.Token)
	require.True(t, serve.TokenOK(r))
}
