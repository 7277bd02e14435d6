package crashtest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hookgen/hookgen/internal/crashtest"
	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/pgstore"
)

// TestCrashBolt: durable mode on the embedded bolt store survives kill -9.
func TestCrashBolt(t *testing.T) {
	if !crashtest.IsChild() && testing.Short() {
		t.Skip("crash test: not in -short mode")
	}
	target := ""
	if !crashtest.IsChild() {
		target = filepath.Join(t.TempDir(), "store.db")
	}
	crashtest.Run(t, target, func(_ context.Context, path string) (store.Store, error) {
		return store.OpenBolt(path)
	})
}

// TestCrashPostgres: durable mode on PostgreSQL survives kill -9.
func TestCrashPostgres(t *testing.T) {
	if !crashtest.IsChild() && testing.Short() {
		t.Skip("crash test: not in -short mode")
	}
	target := ""
	if !crashtest.IsChild() {
		target = services.PostgresURL(t)
	}
	crashtest.Run(t, target, func(ctx context.Context, url string) (store.Store, error) {
		return pgstore.Open(ctx, url)
	})
}
