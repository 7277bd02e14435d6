package storeurl_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/pgstore"
	"github.com/hookgen/hookgen/runtime/store/redisstore"
	"github.com/hookgen/hookgen/runtime/store/storeurl"
)

func TestOpen(t *testing.T) {
	tests := []struct {
		name  string
		url   func(t *testing.T) string
		check func(t *testing.T, b store.Backend)
		inbox bool
	}{
		{"Memory", func(*testing.T) string { return "memory:" }, func(t *testing.T, b store.Backend) {
			assert.IsType(t, &store.Memory{}, b)
		}, true},
		{"Bolt", func(t *testing.T) string { return "bolt:" + filepath.Join(t.TempDir(), "s.db") }, func(t *testing.T, b store.Backend) {
			assert.IsType(t, &store.Bolt{}, b)
		}, true},
		{"Redis", func(t *testing.T) string { return services.RedisURL(t) }, func(t *testing.T, b store.Backend) {
			assert.IsType(t, &redisstore.Store{}, b)
		}, false},
		{"Postgres", func(t *testing.T) string { return services.PostgresURL(t) }, func(t *testing.T, b store.Backend) {
			assert.IsType(t, &pgstore.Store{}, b)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b, err := storeurl.Open(ctx, tt.url(t))
			require.NoError(t, err)
			defer b.Close()
			tt.check(t, b)
			c, err := b.Claim(ctx, "k", time.Minute)
			require.NoError(t, err)
			assert.True(t, c.Won)
			err = b.Put(ctx, store.Entry{Family: "f", ID: "1"})
			if tt.inbox {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, store.ErrUnsupported)
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	for _, raw := range []string{"", "memory", "memory:x", "bolt:", "bolt://x/y", "mysql://u:secret@h/db", "/var/lib/store.db", "file:x.db"} {
		_, err := storeurl.Open(context.Background(), raw)
		require.ErrorIs(t, err, storeurl.ErrUnknown, raw)
		assert.NotContains(t, err.Error(), "secret", "passwords are not repeated")
	}
	_, err := storeurl.Open(context.Background(), "mysql://h/db")
	require.Error(t, err)
	assert.Contains(t, err.Error(), storeurl.Forms)
}

// TestStoreLinksNoDriver checks that package store does not import the
// PostgreSQL or Redis driver: only storeurl (and the backends) do.
func TestStoreLinksNoDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/hookgen/hookgen/runtime/store").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Fields(string(out)) {
		assert.False(t, strings.HasPrefix(dep, "github.com/jackc/") || strings.HasPrefix(dep, "github.com/redis/"), "store imports %s", dep)
	}
	out, err = exec.Command("go", "list", "-deps", "github.com/hookgen/hookgen/runtime/store/storeurl").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "github.com/jackc/pgx/v5", "the check sees drivers where they are")
}
