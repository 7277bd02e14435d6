package pgstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/pgstore"
	"github.com/hookgen/hookgen/runtime/store/storetest"
)

// open returns a store on url, closed when the test ends.
func open(t *testing.T, url string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (a, b store.Backend) {
		url := services.PostgresURL(t)    // a fresh schema per case
		return open(t, url), open(t, url) // two pools: two independent clients
	})
}

func TestMigrateConcurrently(t *testing.T) {
	url := services.PostgresURL(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() { errs[i] = pgstore.Migrate(ctx, url) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err, "replicas migrating at once all succeed")
	}
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n, distinct int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM hookgen_schema_migrations`).Scan(&n, &distinct))
	assert.Equal(t, distinct, n, "each migration applied once")
	assert.Positive(t, n)
	require.NoError(t, pgstore.Migrate(ctx, url), "migrating a migrated schema is a no-op")
	var again int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM hookgen_schema_migrations`).Scan(&again))
	assert.Equal(t, n, again)
	// Open applied nothing more and works.
	s := open(t, url)
	c, err := s.Claim(ctx, "k", 1e9)
	require.NoError(t, err)
	assert.True(t, c.Won)
}

func TestOpenWithoutMigrate(t *testing.T) {
	url := services.PostgresURL(t)
	ctx := context.Background()
	s, err := pgstore.Open(ctx, url, pgstore.WithoutMigrate())
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Claim(ctx, "k", 1e9)
	require.Error(t, err, "no tables without a migration")
	require.NoError(t, pgstore.Migrate(ctx, url))
	c, err := s.Claim(ctx, "k", 1e9)
	require.NoError(t, err)
	assert.True(t, c.Won)
}

func TestHostileBytes(t *testing.T) {
	s := open(t, services.PostgresURL(t))
	ctx := context.Background()
	key := "k\x00\xff\xfe"
	c, err := s.Claim(ctx, key, 1e9)
	require.NoError(t, err)
	require.True(t, c.Won)
	other, err := s.Claim(ctx, "k\x00\xff", 1e9)
	require.NoError(t, err)
	assert.True(t, other.Won, "keys are compared as bytes")
	st, err := s.Get(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, store.Processing, st)

	e := store.Entry{Family: "fam", ID: "id\x00\xff", Entity: "e\x00", Event: "bad\x00\xffevent", Body: []byte{0, 1, 2}}
	require.NoError(t, s.Put(ctx, e))
	got, err := s.GetEntry(ctx, "fam", "id\x00\xff")
	require.NoError(t, err)
	assert.Equal(t, e.ID, got.ID, "ids are kept exactly")
	assert.Equal(t, e.Entity, got.Entity)
	assert.Equal(t, e.Body, got.Body)
	assert.Equal(t, "bad\uFFFD\uFFFDevent", got.Event, "display fields are kept as valid UTF-8")
}
