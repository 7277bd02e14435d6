package harness_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/bench/harness"
)

// postgresURL returns HOOKGEN_POSTGRES_URL, or the default local server
// when HOOKGEN_REQUIRE_SERVICES=1; it skips the test otherwise, and fails
// it when the services are required but the server does not answer.
func postgresURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("HOOKGEN_POSTGRES_URL")
	required := os.Getenv("HOOKGEN_REQUIRE_SERVICES") == "1"
	if url == "" && required {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	if url == "" {
		t.Skip("set HOOKGEN_POSTGRES_URL (or HOOKGEN_REQUIRE_SERVICES=1) to run this test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		if required {
			t.Fatalf("PostgreSQL at HOOKGEN_POSTGRES_URL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (%v): set HOOKGEN_POSTGRES_URL or HOOKGEN_REQUIRE_SERVICES=1", err)
	}
	_ = conn.Close(ctx)
	return url
}

func TestWALSyncsCountsACommittedWrite(t *testing.T) {
	url := postgresURL(t)
	ctx := context.Background()
	before, err := harness.WALSyncs(ctx, url)
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	table := fmt.Sprintf("bench_wal_probe_%d", time.Now().UnixNano())
	for _, q := range []string{"SET synchronous_commit = on", "CREATE TABLE " + table + " (n int)",
		"INSERT INTO " + table + " VALUES (1)", "DROP TABLE " + table} {
		_, err = conn.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	require.NoError(t, conn.Close(ctx)) // a backend reports its statistics when it exits
	require.Eventually(t, func() bool {
		after, err := harness.WALSyncs(ctx, url)
		return err == nil && after > before
	}, 5*time.Second, 50*time.Millisecond)
}

func TestPrepareSchemaGivesARunItsOwnSchemaAndDropsIt(t *testing.T) {
	base := postgresURL(t)
	ctx := context.Background()
	u, drop, err := harness.PrepareSchema(ctx, base)
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, u)
	require.NoError(t, err)
	var schema string
	require.NoError(t, conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema))
	require.Regexp(t, `^hookgen_bench_\d+$`, schema)
	_, err = conn.Exec(ctx, "CREATE TABLE probe (n int)")
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))

	drop()
	conn, err = pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer func() { _ = conn.Close(ctx) }()
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", schema).Scan(&n))
	require.Zero(t, n)
}

func TestPrepareSchemaReportsAnUnreachableServer(t *testing.T) {
	_, _, err := harness.PrepareSchema(context.Background(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	require.ErrorContains(t, err, "PostgreSQL unreachable")
}
