//go:build unix

package serve

import (
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The documented defaults are the ones New applies.
func TestDefaults(t *testing.T) {
	s, err := New(http.NotFoundHandler())
	require.NoError(t, err)
	c := s.cfg
	assert.Equal(t, Timeouts{ReadHeader: 5 * time.Second, Read: 20 * time.Second, Write: 60 * time.Second,
		Idle: 60 * time.Second, MaxHeaderBytes: 64 << 10}, c.timeouts)
	assert.Equal(t, "127.0.0.1:8080", c.addr)
	assert.Equal(t, "127.0.0.1:9090", c.opsAddr)
	assert.Equal(t, 256, c.maxConcurrent)
	assert.Equal(t, time.Second, c.retryAfter)
	assert.Equal(t, 25*time.Second, c.drain)
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	cur := int(lim.Cur)
	assert.Equal(t, cur-max(64, cur/8), c.maxConnections, "seven eighths of the descriptor limit")
	assert.Equal(t, 896, maxConnectionsFor(1024))
	assert.Equal(t, 16, maxConnectionsFor(40))
}
